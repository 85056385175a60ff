import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { keys } from "./keys";

/**
 * One data-access pattern: pages and components reach the server only through the
 * hooks and functions of src/api/, and every query key comes from src/api/keys.ts.
 */
// This file lives in src/api/; vitest gives its path as import.meta.filename.
const SRC = dirname(dirname(import.meta.filename));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

// Tests and their helpers (src/test/) stub the network on purpose.
const files = sources(SRC)
  .map((path) => ({ name: relative(SRC, path).split(sep).join("/"), text: readFileSync(path, "utf8") }))
  .filter((f) => !f.name.startsWith("test/"));
const inApi = (name: string) => name.startsWith("api/");

/** Rules for every file but the registry itself: keys are never written by hand. */
const KEY_RULES: [string, RegExp][] = [
  ["a literal query key", /queryKey\s*:\s*\[/],
  ["a literal key in setQueryData/getQueryData", /\b(setQueryData|getQueryData|setQueriesData)\s*(<[^>]*>)?\(\s*\[/],
  ["a literal key in useCursorList", /\buseCursorList\s*(<[^>]*>)?\(\s*\[/],
];

/** Rules for pages, components and everything else outside src/api/. */
const OUTSIDE_API_RULES: [string, RegExp][] = [
  ["a direct API call (api.GET/POST/…)", /\bapi\.(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/],
  ["a direct fetch()", /(?<![\w$])fetch\s*\(/],
  ["an XMLHttpRequest", /\bXMLHttpRequest\b/],
  ["an import of the raw API client", /from\s+["'][./]*api\/(client|raw)["']/],
  ["the query client (use a hook from src/api/)", /\buseQueryClient\b/],
  // Asking whether the backend has an API (hasApi("/api/…"), <NotYetPage api="/api/…">) is not a call.
  ["an API path", /(?<!hasApi\(|api=)["'`]\/api\//],
];

function violations(name: string, text: string): string[] {
  const rules = [...(name === "api/keys.ts" ? [] : KEY_RULES), ...(inApi(name) ? [] : OUTSIDE_API_RULES)];
  return rules.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${name}: ${what}`);
}

describe("data access goes through src/api/", () => {
  it("finds the sources it checks", () => {
    const names = files.map((f) => f.name);
    expect(names).toContain("pages/Billing.tsx");
    expect(names).toContain("api/campaignsApi.ts");
    expect(names.some((n) => n.endsWith(".test.ts") || n.endsWith(".test.tsx") || n.startsWith("test/"))).toBe(false);
  });

  it("flags each forbidden pattern (so a passing check means something)", () => {
    const page = "pages/Example.tsx";
    expect(violations(page, 'useQuery({ queryKey: ["billing"], queryFn })')).toHaveLength(1);
    expect(violations(page, 'qc.setQueryData(["campaigns", id], c)')).toHaveLength(1);
    expect(violations(page, 'useCursorList(["contacts"], f)')).toHaveLength(1);
    expect(violations(page, "unwrap(api.GET(path))")).toHaveLength(1);
    expect(violations(page, "await fetch(url)")).toHaveLength(1);
    expect(violations(page, 'globalThis.fetch(request)')).toHaveLength(1);
    expect(violations(page, "new XMLHttpRequest()")).toHaveLength(1);
    expect(violations(page, 'import { rawFetch } from "../../api/raw";')).toHaveLength(1);
    expect(violations(page, 'import { api } from "../api/client";')).toHaveLength(1);
    expect(violations(page, "const qc = useQueryClient();")).toHaveLength(1);
    expect(violations(page, 'fetchWithEtag("/api/conversations?unread=true")')).toHaveLength(1);
    expect(violations(page, "downloadFile(`/api/campaigns/${id}/export`)")).toHaveLength(1);
    // What pages legitimately do.
    expect(violations(page, "onRetry={() => list.refetch()} queryKey: keys.me")).toEqual([]);
    expect(violations(page, 'import { useBilling } from "../api/billingApi";')).toEqual([]);
    expect(violations(page, 'hasApi("/api/billing") ? <BillingPage /> : <NotYetPage api="/api/billing" />')).toEqual([]);
    // The api layer may call the server, but still takes its keys from the registry.
    expect(violations("api/fooApi.ts", 'unwrap(api.GET("/api/foo")); const qc = useQueryClient();')).toEqual([]);
    expect(violations("api/fooApi.ts", 'useQuery({ queryKey: ["foo"] })')).toHaveLength(1);
    expect(violations("api/keys.ts", 'const all = ["foo"] as const; queryKey: ["foo"]')).toEqual([]);
  });

  it("holds for every source file", () => {
    expect(files.flatMap((f) => violations(f.name, f.text))).toEqual([]);
  });
});

describe("the query-key registry", () => {
  const startsWith = (key: readonly unknown[], prefix: readonly unknown[]) => prefix.every((part, i) => JSON.stringify(key[i]) === JSON.stringify(part));

  it("nests each area's keys under its prefix, so invalidating the prefix reaches them", () => {
    const c = keys.campaigns;
    for (const key of [c.lists, c.list("running"), c.detail("c1"), c.audience("c1", 2), c.messages("c1", "failed"), c.followUp("c1"), c.forecast("c1"), c.launchSummary("c1"), c.composerForecast({})]) {
      expect(startsWith(key, c.all)).toBe(true);
    }
    expect(startsWith(c.list("running"), c.lists)).toBe(true);
    expect(startsWith(c.detail("c1"), c.lists)).toBe(false);

    const ct = keys.contacts;
    for (const key of [ct.list({ q: "", tag: "", optedOut: "" }), ct.tags, ct.imports, ct.import("i1"), ct.optOutWords, ct.optOutReviews, ct.optOutCheck("x"), ct.audience(true, [], "")]) {
      expect(startsWith(key, ct.all)).toBe(true);
    }
    expect(startsWith(ct.import("i1"), ct.imports)).toBe(true);

    const s = keys.sessions;
    for (const key of [s.list, s.detail("s1"), s.qr("s1"), s.health]) expect(startsWith(key, s.all)).toBe(true);
    expect(startsWith(s.qr("s1"), s.detail("s1"))).toBe(true);

    for (const key of [keys.inbox.summary, keys.inbox.list({}), keys.inbox.thread("t"), keys.inbox.settings, keys.inbox.typingNumbers]) {
      expect(startsWith(key, keys.inbox.all)).toBe(true);
    }
    expect(startsWith(keys.quickReplies.forConversation("t"), keys.quickReplies.all)).toBe(true);
    expect(startsWith(keys.notifications.list(true), keys.notifications.all)).toBe(true);
    expect(startsWith(keys.billing.plans, keys.billing.all)).toBe(true);
  });

  it("keeps areas apart, so refreshing one leaves the others cached", () => {
    const prefixes = [keys.me, keys.tokens, keys.agents, keys.sessions.all, keys.notifications.all, keys.notificationSettings, keys.campaigns.all, keys.contacts.all, keys.inbox.all, keys.quickReplies.all, keys.billing.all];
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(startsWith(a, b)).toBe(false);
  });
});
