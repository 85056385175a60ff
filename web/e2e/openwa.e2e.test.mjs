// The real OpenWA's walls in a real browser (issue 11), against a running local stack started
// by tests/e2e/test_web.py. The stack's simulator answers like OpenWA 4.76: once its stand-in
// licence key is taken away, a campaign to new customers hits the licence wall and pauses; the
// campaign page and the notice say in words who can be messaged without a key and link to the
// number. Then WhatsApp's reachout timelock: the number reads "Limited", its campaign pauses.
// Screenshots at 1280 and 375 px, with an axe check.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { accountWithNumber, api, launchChromium, shots, simControl, until } from "./support.mjs";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const TMP = process.env.WACAST_E2E_TMP ?? "";
const RUN = `${Date.now() % 1_000_000}`;
const owner = { name: "Rita Lopes", email: `padaria-${RUN}-${Math.floor(Math.random() * 1e6)}@example.com`, password: "fresh bread every morning 2026" };

let browser;
const problems = [];

async function fault(control, body) {
  const response = await fetch(`${control}/sim/fault`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

/** Import `rows` new customers into `tag` (numbers nobody has chatted with). */
async function importCustomers(token, tag, first) {
  const lines = ["Nome;Celular", ...[0, 1].map((i) => `Cliente ${first + i};(11) 9${String(first + i).padStart(4, "0")}-${RUN.padStart(6, "0").slice(-4)}`)];
  const { import: created } = await api("POST", "/api/contacts/imports", token, { filename: `${tag}.csv`, content: lines.join("\n") });
  await api("POST", `/api/contacts/imports/${created.import_id}/start`, token, { default_region: "BR", tags: [tag] });
  await until("the import", async () => (await api("GET", `/api/contacts/imports/${created.import_id}`, token)).status === "completed");
}

async function launch(token, sessionId, tag, name) {
  const campaign = await api("POST", "/api/campaigns", token, {
    name,
    template: "Oi {{first_name}}, pão quentinho saindo!",
    audience: { tags: [tag] },
    session_ids: [sessionId],
    pacing: { min_gap_s: 0, max_gap_s: 0, daily_cap: 1000, warmup: false },
  });
  await api("POST", `/api/campaigns/${campaign.campaign_id}/schedule`, token);
  return campaign.campaign_id;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe("OpenWA's walls", { concurrency: false, skip: TMP ? false : "WACAST_E2E_TMP is not set (run through tests/e2e/test_web.py)" }, () => {
  test("the licence wall pauses a campaign with words and a link; a restricted number reads Limited", async () => {
    const { token, sessionId } = await accountWithNumber(owner, "Padaria");
    const control = await until("the simulator's control file", () => simControl(sessionId));
    await fault(control, { kind: "license", key: null }); // like OpenWA without a key

    await importCustomers(token, "novos", 1);
    const walled = await launch(token, sessionId, "novos", "Pão de sábado");
    const paused = await until("the campaign to pause at the wall", async () => {
      const c = await api("GET", `/api/campaigns/${walled}`, token);
      return c.status === "paused" ? c : null;
    });
    assert.equal(paused.pause_reason, "needs_license");

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: BASE, locale: "en-GB", timezoneId: "Europe/Lisbon", bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto("/auth/login");
    await page.evaluate((t) => localStorage.setItem("wacast.token", t), token);
    await page.goto(`/campaigns/${walled}`);
    await page.getByText(/can only message people who have chatted with it before or who are saved in its phone's contacts/).first().waitFor();
    assert.equal(await page.getByText(/needs license/i).count(), 0, "the pause reason is words, not a code");
    await page.getByText("needs an OpenWA licence to message someone new").first().waitFor();
    await shots(page, "openwa-licence-wall-campaign", problems);

    // The notice explains the wall and opens the number's page, where the key goes.
    await page.getByRole("button", { name: /Notifications, [0-9]+ unread/ }).click();
    const panel = page.getByRole("region", { name: "Unread notifications" });
    const notice = panel.getByRole("listitem").filter({ hasText: "needs a licence key" });
    await notice.getByText(/chatted with it/).waitFor();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.screenshot({ path: join(SHOTS, "openwa-licence-wall-notice-375.png") });
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.screenshot({ path: join(SHOTS, "openwa-licence-wall-notice-1280.png") });
    await notice.getByRole("link", { name: "Open the number" }).click();
    await page.waitForURL(`**/sessions/${sessionId}`);
    await page.getByTestId("license-panel").getByText(/people who have chatted with it before/).waitFor();

    // WhatsApp's reachout timelock: no new chats; the number reads Limited, its campaign pauses.
    await fault(control, { kind: "restricted", on: true });
    await importCustomers(token, "outros", 11);
    const limited = await launch(token, sessionId, "outros", "Bolo de domingo");
    await until("the number to be restricted", async () => (await api("GET", `/api/sessions/${sessionId}`, token)).status === "restricted");
    await until("its campaign to pause", async () => (await api("GET", `/api/campaigns/${limited}`, token)).pause_reason === "session_restricted");
    await page.goto(`/sessions/${sessionId}`);
    await page.getByText("WhatsApp is limiting this number").waitFor();
    await page.getByText(/not letting this number start new chats/).first().waitFor();
    await shots(page, "openwa-restricted-number", problems);
    await page.goto(`/campaigns/${limited}`);
    await page.getByText(/not letting a sending number start new chats/).first().waitFor();
    await shots(page, "openwa-restricted-campaign", problems);
    await context.close();
  });

  test("no script errors and no serious accessibility problems on those pages", () => {
    assert.deepEqual(problems, []);
  });
});
