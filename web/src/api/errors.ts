import type { components } from "./schema";

export type ErrorBody = components["schemas"]["Error"];

export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

/** An API answer other than 2xx, with the server's code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, details: unknown, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** Messages per form field, from a 422's `details` (`{loc, msg, type}` items). */
  get fieldErrors(): Record<string, string> {
    return fieldErrors(this.details);
  }
}

function isDetail(item: unknown): item is ValidationDetail {
  return (
    typeof item === "object" &&
    item !== null &&
    Array.isArray((item as ValidationDetail).loc) &&
    typeof (item as ValidationDetail).msg === "string"
  );
}

/** pydantic prefixes custom validator messages; people need only the sentence. */
function tidy(message: string): string {
  const cleaned = message.replace(/^(Value error|Assertion failed), /, "");
  return cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
}

/**
 * Maps `[{loc: ["label"], msg}]` to `{label: msg}`. A nested location is keyed
 * both by its dotted path and by its first part, so a form can show it at the
 * field that holds it. The first message for a field wins.
 */
export function fieldErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(details)) return out;
  for (const item of details) {
    if (!isDetail(item) || item.loc.length === 0) continue;
    const loc = item.loc[0] === "body" || item.loc[0] === "query" ? item.loc.slice(1) : item.loc;
    if (loc.length === 0) continue;
    const message = tidy(item.msg);
    const path = loc.join(".");
    out[path] ??= message;
    out[String(loc[0])] ??= message;
  }
  return out;
}

/** Builds an ApiError from a response and its (maybe non-JSON) body. */
export function toApiError(response: Response, body: unknown): ApiError {
  const retry = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (error && typeof error.code === "string") {
    return new ApiError(response.status, error.code, error.message, error.details, retryAfter);
  }
  return new ApiError(
    response.status,
    "http_" + response.status,
    response.status >= 500
      ? "The server had a problem. Please try again in a moment."
      : `The request failed (${response.status}).`,
    null,
    retryAfter,
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "Cannot reach wacast. Check your connection and try again.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
