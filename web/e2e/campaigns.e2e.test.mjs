// Honest campaigns in a real browser (issue 13), against a running local stack
// started by tests/e2e/test_web.py (or WACAST_E2E_BASE=http://127.0.0.1:8000 npm run e2e):
// a Free account with 150 contacts composes a campaign, sees the forecast follow
// the pace, confirms a launch summary that is short of quota, sends to the first
// 100, watches the number stop at its warm-up limit, pauses, edits the pace,
// resumes; a second campaign upgrades and comes back to its draft.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { launchChromium } from "./support.mjs";

const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const RUN = `${Date.now() % 1_000_000}`;
const TAG = `natal${RUN}`;
const maria = { name: "Maria Padaria", email: `maria-${RUN}-${Math.floor(Math.random() * 1e6)}@example.com`, password: "panettone for everyone 2026" };

let browser;
const consoleErrors = [];
const a11yProblems = [];

async function newPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, baseURL: BASE, locale: "en-GB", timezoneId: "America/Sao_Paulo" });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  return page;
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  await page.evaluate(readFileSync(axeSource, "utf8")); // an inline script tag would break the CSP
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  });
  for (const v of violations) a11yProblems.push(`${name}: ${v}`);
}

/** Both widths, and no sideways scrolling on a phone. */
async function shotBoth(page, name) {
  await shot(page, name);
  const url = page.url();
  const phone = await newPage({ width: 375, height: 740 });
  await phone.goto("/auth/login");
  await phone.evaluate((token) => localStorage.setItem("wacast.token", token), await page.evaluate(() => localStorage.getItem("wacast.token")));
  await phone.goto(url);
  await phone.getByRole("heading", { level: 1 }).first().waitFor();
  await phone.waitForLoadState("networkidle");
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no sideways scrolling at 375 px on ${url} (page is ${width} px wide)`);
  await shot(phone, `${name}-375`);
  await phone.context().close();
}

async function api(method, path, token, body) {
  const response = await fetch(new URL(path, BASE), { method, headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe("honest campaigns", { concurrency: false }, () => {
  let page;
  let campaignUrl;

  test("a Free account composes, sees the forecast follow the pace, and sends to the first 100 from the launch summary", async () => {
    await api("POST", "/api/auth/register", null, { name: maria.name, email: maria.email, password: maria.password });
    const { token } = await api("POST", "/api/auth/login", null, { email: maria.email, password: maria.password });
    await api("PATCH", "/api/me", token, { timezone: "America/Sao_Paulo", default_region: "BR", onboarded: true });
    page = await newPage();
    await page.goto("/auth/login");
    await page.getByLabel("Email").fill(maria.email);
    await page.getByLabel("Password").fill(maria.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/dashboard");

    // Her shop's number (the simulator scans the QR by itself).
    await page.goto("/sessions");
    await page.getByRole("button", { name: "Add number" }).click();
    const add = page.getByRole("dialog", { name: "Add a number" });
    await add.getByLabel("Name for this number").fill("Padaria");
    await add.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("dialog", { name: /Link “Padaria”/ }).waitFor({ state: "detached", timeout: 60_000 });

    // 150 customers, more than the Free plan's 100 messages.
    const rows = Array.from({ length: 150 }, (_, i) => `+55119${String(87_650_000 + i)};Cliente${i}`);
    await page.goto("/contacts/import");
    await page.getByLabel("Spreadsheet or CSV file", { exact: true }).setInputFiles({ name: `${TAG}.csv`, mimeType: "text/csv", buffer: Buffer.from(`Phone;First name\n${rows.join("\n")}\n`, "utf-8") });
    await page.getByRole("button", { name: "Upload and preview" }).click();
    await page.getByLabel("Tags for everyone in this file").fill(TAG);
    await page.getByRole("button", { name: "Start import" }).click();
    await page.getByRole("heading", { name: `${TAG}.csv: Finished` }).waitFor({ timeout: 90_000 });

    // Compose: the draft saves itself; WhatsApp formatting shows in the phone preview.
    await page.goto("/campaigns/new");
    await page.getByLabel("Campaign name", { exact: true }).fill("Panettone de Natal");
    await page.getByLabel("Message", { exact: true }).fill("Olá {{first_name|cliente}}! *Panettone* com _10% off_ até sexta.");
    await page.waitForURL("**/campaigns/*/edit");
    await page.getByTestId("message-preview").locator("strong", { hasText: "Panettone" }).waitFor();
    await page.getByRole("radio", { name: /Contacts with any of these tags/ }).check();
    await page.getByRole("checkbox", { name: new RegExp(`^${TAG}`) }).check();
    await page.getByRole("checkbox", { name: /Padaria/ }).waitFor();
    assert.ok(await page.getByRole("checkbox", { name: /Padaria/ }).isChecked(), "her only number is chosen for her");
    await page.getByTestId("recipient-count").filter({ hasText: "150 recipients" }).waitFor({ timeout: 30_000 });

    // The forecast follows the pace: with warm-up (20 on the first day, doubling) it takes days;
    // without it and with a 200-a-day cap, 150 messages with no gaps go out today.
    await page.getByLabel("Shortest gap (seconds)").fill("0");
    await page.getByLabel("Longest gap (seconds)").fill("0");
    const words = page.getByTestId("forecast-words");
    await words.filter({ hasText: /^About \d+ days: .*today/ }).waitFor({ timeout: 30_000 });
    assert.ok((await page.getByRole("list", { name: "Messages per day" }).getByRole("listitem").count()) >= 2, "a bar per day");
    await page.getByLabel(/Warm up new numbers/).uncheck();
    await words.filter({ hasText: /^Less than a minute, finishing / }).waitFor({ timeout: 30_000 });
    await page.getByLabel(/Warm up new numbers/).check();
    await words.filter({ hasText: /^About \d+ days: / }).waitFor({ timeout: 30_000 });
    await page.getByTestId("save-state").filter({ hasText: "Draft saved." }).waitFor();
    await shotBoth(page, "honest-composer");

    // Launch summary: 150 needed, 100 left → send to the first 100.
    await page.getByRole("button", { name: "Launch now" }).click();
    const summary = page.getByRole("dialog", { name: "Send this campaign?" });
    const facts = summary.getByTestId("launch-facts");
    await facts.waitFor();
    assert.match(await facts.innerText(), /150/);
    assert.match(await facts.innerText(), /150 needed, 100 left this month/);
    await summary.getByRole("button", { name: /^Upgrade to / }).waitFor();
    // Choosing between the two: when the first 100 would be done.
    await summary.getByText(/The first 100 would be done by \w{3} \d{1,2} \w{3}, \d{2}:\d{2}\./).waitFor();
    await shot(page, "honest-launch-summary");
    await summary.getByRole("button", { name: "Send to the first 100 now" }).click();
    await page.waitForURL(/\/campaigns\/[^/]+$/);
    campaignUrl = page.url();

    // The number stops at its warm-up limit (20 on its first day) and the page says until when.
    await page.getByTestId("number-states").filter({ hasText: /Padaria\s*Warm-up limit reached\s*Resumes at / }).waitFor({ timeout: 120_000 });
    // Its warm-up room comes back at the next UTC midnight (the daily count's day; the
    // number's second warm-up day starts later): 21:00 in São Paulo (UTC-3, no DST), today
    // or, after 21:00 local, tomorrow with its day named.
    const states = await page.getByTestId("number-states").innerText();
    assert.match(states, /Warm-up limit reached\s*Resumes at (?:[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}, )?21:00\b/, states);
    // Sending stopped at the warm-up's room for the day, well before the 100 the quota allows.
    const sent = Number((await page.getByTestId("campaign-progress").innerText()).match(/^(\d+) of 150 sent$/)?.[1]);
    assert.ok(sent > 0 && sent < 100, `stopped by the warm-up, not the quota (${sent} sent)`);
    await page.getByTestId("forecast-words").waitFor();
    await shotBoth(page, "honest-detail-warmup");

    // The number's health in one look, on the Numbers page and the dashboard: today's sends
    // against its warm-up room, and a badge with its reason in words.
    for (const [path, name] of [["/sessions", "honest-number-health"], ["/dashboard", "honest-dashboard-health"]]) {
      await page.goto(path);
      const health = page.getByTestId("number-health").filter({ hasText: "Padaria" });
      await health.filter({ hasText: /Today \d+ of 20 \(warm-up day 1\)/ }).waitFor();
      assert.match(await health.innerText(), /Healthy\s+Sending normally\./);
      await shotBoth(page, name);
    }
  });

  test("a paused campaign's pace is edited (only the pace is sent) and it resumes; cancelled, it says how many were sent", async () => {
    assert.ok(page && campaignUrl, "the first test ran");
    await page.goto(campaignUrl);
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByTestId("campaign-status").filter({ hasText: "Paused" }).waitFor();
    // Each number's badge says just "Paused" (the alert above says why), never a clipped sentence.
    await page.getByTestId("number-states").getByTestId("number-state").filter({ hasText: /^Paused$/ }).first().waitFor();
    await shotBoth(page, "honest-paused-numbers");
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByText("This campaign is paused").waitFor();
    await page.getByText(/The recipients are fixed once a campaign has started/).waitFor();
    // When it resumes is part of the form, on "when I resume it" (not its old start time).
    assert.ok(await page.getByRole("group", { name: "When it resumes" }).getByRole("radio", { name: "When I resume it" }).isChecked());
    const patches = [];
    page.on("request", (request) => {
      if (request.method() === "PATCH") patches.push(request.postDataJSON());
    });
    await page.getByLabel("Longest gap (seconds)").fill("5");
    await shotBoth(page, "honest-paused-edit");
    await page.getByRole("button", { name: "Save and resume" }).click();
    await page.waitForURL(campaignUrl);
    await page.getByTestId("campaign-status").filter({ hasText: "Sending" }).waitFor();
    assert.deepEqual(Object.keys(patches.at(-1)), ["pacing"]);
    assert.equal(patches.at(-1).pacing.max_gap_s, 5);
    // Cancelled part-way: the words and the bar say what was really sent, not "100% done".
    await page.getByRole("button", { name: "Cancel campaign" }).click();
    await page.getByRole("dialog", { name: "Cancel “Panettone de Natal”?" }).getByRole("button", { name: "Cancel campaign" }).click();
    await page.getByTestId("campaign-status").filter({ hasText: "Cancelled" }).waitFor();
    const outcome = await page.getByTestId("campaign-progress").innerText();
    const sent = Number(outcome.match(/^Cancelled — (\d+) of 150 sent$/)?.[1]);
    assert.ok(sent > 0 && sent < 150, outcome);
    const bar = await page.getByRole("progressbar", { name: "Campaign progress" }).getAttribute("aria-valuenow");
    assert.equal(bar, String(Math.round((sent / 150) * 100)));
    // The counts add up: what was not sent is counted as cancelled (or skipped), none "waiting".
    const counts = await page.getByTestId("campaign-counters").innerText();
    assert.doesNotMatch(counts, /Waiting/);
    const count = (label) => Number(counts.match(new RegExp(`${label}\\s+([\\d,]+)`))?.[1].replace(/,/g, ""));
    assert.equal(count("Cancelled") + count("Skipped") + count("Sent"), 150, counts);
    await shotBoth(page, "honest-detail-cancelled");
  });

  test("a second campaign, short of quota, upgrades and comes back to its draft", async () => {
    await page.goto("/campaigns/new");
    await page.getByLabel("Campaign name", { exact: true }).fill("Reis");
    await page.getByLabel("Message", { exact: true }).fill("Feliz dia de Reis, {{first_name|cliente}}!");
    await page.waitForURL("**/campaigns/*/edit");
    const draftPath = new URL(page.url()).pathname;
    await page.getByRole("radio", { name: /Contacts with any of these tags/ }).check();
    await page.getByRole("checkbox", { name: new RegExp(`^${TAG}`) }).check();
    await page.getByTestId("save-state").filter({ hasText: "Draft saved." }).waitFor();
    await page.getByRole("button", { name: "Launch now" }).click();
    const summary = page.getByRole("dialog", { name: "Send this campaign?" });
    await summary.getByRole("button", { name: /^Upgrade to Starter/ }).click();
    await page.waitForURL("**/dev/checkout/**");
    await page.getByRole("button", { name: /Pay/ }).click();
    await page.waitForURL((url) => url.pathname === draftPath && url.searchParams.get("checkout") === "success", { timeout: 30_000 });
    await page.getByText("Thank you: your plan is upgraded").waitFor();
    await page.getByRole("button", { name: "Launch now" }).waitFor();
    await shot(page, "honest-back-from-checkout");
    await page.context().close();
  });

  test("no script errors in the browser", () => {
    assert.deepEqual(consoleErrors, []);
  });

  test("no serious accessibility problems on the campaign pages (axe-core)", () => {
    assert.deepEqual(a11yProblems, []);
  });
});
