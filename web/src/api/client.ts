import createClient, { type Middleware } from "openapi-fetch";
import { showToast } from "../lib/toast";
import { ApiError, toApiError } from "./errors";
import type { paths } from "./schema";
import { tokenStore } from "./token";

/** Requests whose caller shows a 429 in place itself (see `showsRateLimitItself`). */
const handledInPlace = new WeakSet<Request>();

/**
 * Per-request middleware for a caller that shows a refused-for-too-many (429) answer
 * in place, e.g. the sign-in form: the generic toast would only repeat it, vaguer.
 * Use: `api.POST(path, { body, middleware: [showsRateLimitItself] })`.
 */
export const showsRateLimitItself: Middleware = {
  onRequest({ request }) {
    handledInPlace.add(request);
  },
};

/**
 * The typed API client: every path, body and answer is checked against
 * schema.d.ts, generated from the backend's OpenAPI document.
 */
const auth: Middleware = {
  onRequest({ request }) {
    const token = tokenStore.get();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A token that stops working (revoked, expired) sends you back to sign in.
    if (response.status === 401 && request.headers.has("Authorization") && tokenStore.get()) {
      tokenStore.set(null);
      showToast("Your session has ended. Please sign in again.", "info");
    }
    // Reads are retried after Retry-After by the query client (see App.tsx) and
    // show their error in place if they still fail; an action you took gets a toast.
    if (response.status === 429 && request.method !== "GET" && !handledInPlace.has(request)) {
      const seconds = Number(response.headers.get("Retry-After"));
      showToast(
        Number.isFinite(seconds) && seconds > 0
          ? `Too many requests. Please wait ${seconds} s and try again.`
          : "Too many requests. Please wait a moment and try again.",
        "error",
      );
    }
    return response;
  },
};

export function makeClient(baseUrl = globalThis.location?.origin ?? "", fetchImpl?: typeof fetch) {
  // fetch is looked up per call (not captured here), so tests can stub it.
  const client = createClient<paths>({ baseUrl, fetch: fetchImpl ?? ((request: Request) => globalThis.fetch(request)) });
  client.use(auth);
  return client;
}

export const api = makeClient();

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Unwraps an openapi-fetch result: the data, or an ApiError to throw. */
export async function unwrap<T>(promise: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await promise;
  if (!response.ok) throw toApiError(response, error);
  return data as T;
}

export { ApiError };
