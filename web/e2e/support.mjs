// Helpers shared by the browser tests that drive the local stack and its simulator.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const TMP = process.env.WACAST_E2E_TMP ?? "";
const CHROMIUM = process.env.WACAST_E2E_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

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

/** Poll `check` until it gives a truthy value (returned), or fail after `timeoutMs`. */
export async function until(what, check, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Screenshots at 1280 and 375 px: asserts no sideways scrolling, and pushes each serious or
 * critical axe violation onto `problems` (the test asserts it is empty at the end).
 */
export async function shots(page, name, problems) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 860 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= width, `no sideways scrolling at ${width} px (${scroll} px)`);
    await page.evaluate(readFileSync(axeSource, "utf8")); // an inline script tag would break the CSP
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
      return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
    });
    for (const v of violations) problems.push(`${name}-${width}: ${v}`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

/** Debian's chromium, headless, as every browser test drives it. */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
}

/** A new onboarded account with one number connected through the stack's simulator. */
export async function accountWithNumber(person, label) {
  await api("POST", "/api/auth/register", null, person);
  const { token } = await api("POST", "/api/auth/login", null, { email: person.email, password: person.password });
  await api("PATCH", "/api/me", token, { onboarded: true });
  const { session_id: sessionId } = await api("POST", "/api/sessions", token, { label });
  await until("the number to connect", async () => (await api("GET", `/api/sessions/${sessionId}`, token)).status === "connected");
  return { token, sessionId };
}
