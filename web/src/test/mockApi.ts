import { vi } from "vitest";

export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
type Handler = Reply | ((request: Request, url: URL, body: unknown) => Reply | Promise<Reply>);

/**
 * Stubs fetch with "METHOD /path" handlers (paths without the query string).
 * A handler may be a list: each call takes the next reply, the last one repeats.
 */
export function mockApi(routes: Record<string, Handler | Handler[]>) {
  const calls: { method: string; path: string; url: URL; body: unknown; auth: string | null }[] = [];
  const counters = new Map<string, number>();
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const text = request.method === "GET" || request.method === "DELETE" ? "" : await request.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    calls.push({ method: request.method, path: url.pathname, url, body, auth: request.headers.get("Authorization") });
    const entry = routes[key];
    if (!entry) return new Response(JSON.stringify({ error: { code: "not_found", message: `no mock for ${key}`, details: null } }), { status: 404, headers: { "Content-Type": "application/json" } });
    let handler: Handler;
    if (Array.isArray(entry)) {
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      handler = entry[Math.min(n, entry.length - 1)]!;
    } else handler = entry;
    const reply = typeof handler === "function" ? await handler(request, url, body) : handler;
    const status = reply.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(reply.body ?? {}), {
      status,
      headers: { "Content-Type": "application/json", ...(reply.headers ?? {}) },
    });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

export const user = {
  user_id: "usr_1",
  email: "ana@example.com",
  name: "Ana Lima",
  role: "user" as "user" | "admin",
  default_region: "US",
  timezone: "UTC",
  created_at: 1_700_000_000_000,
};

export function session(overrides: Record<string, unknown> = {}) {
  return {
    session_id: "ses_1",
    label: "Front desk",
    status: "starting",
    phone: null,
    agent_id: "agt_1",
    last_error: null,
    created_at: 1_700_000_000_000,
    updated_at: Date.now(),
    connected_at: null,
    purge_after: null,
    history: [],
    license: { set: false, masked: null, updated_at: null },
    status_reason: null,
    status_reason_text: null,
    restricted_until: null,
    ...overrides,
  };
}

export const page = <T,>(items: T[]) => ({ items, next_cursor: null });

export function contact(overrides: Record<string, unknown> = {}) {
  return {
    phone: "+447700900123",
    name: null,
    first_name: "Maria",
    last_name: "Silva",
    email: "maria@example.com",
    tags: ["vip"],
    fields: { city: "Porto" },
    opted_out: false,
    opted_out_at: null,
    opted_out_source: null,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...overrides,
  };
}
