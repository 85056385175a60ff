// Helpers shared by the browser tests that drive the local stack and its simulator.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const TMP = process.env.WACAST_E2E_TMP ?? "";

export async function api(method, path, token, body) {
  const response = await fetch(new URL(path, BASE), { method, headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The simulator's control address for one number (its file sits in the session's folder). */
export function simControl(sessionId) {
  for (const dir of readdirSync(TMP).filter((d) => d.startsWith("wacast-agent-"))) {
    const found = readdirSync(join(TMP, dir), { recursive: true }).find((p) => String(p).includes(sessionId) && String(p).endsWith("sim-control.json"));
    if (found) return JSON.parse(readFileSync(join(TMP, dir, String(found)), "utf-8")).control_url;
  }
  return null;
}

export async function reply(control, from, body) {
  const response = await fetch(`${control}/sim/inbound`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ from, body }) });
  assert.equal(response.status, 200);
}
