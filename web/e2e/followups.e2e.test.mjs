// Follow-ups and duplicates in a real browser (issue 16), against a running local stack
// started by tests/e2e/test_web.py (its agent's simulator takes replies, WACAST_E2E_TMP):
// a campaign goes out to three customers, one replies; "Follow up" offers the other two,
// the new draft opens in the editor with the frequency cap; "Duplicate" opens a copy.
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
const bea = { name: "Bea Costa", email: `costa-${RUN}-${Math.floor(Math.random() * 1e6)}@example.com`, password: "oranges every monday 2026" };
const PHONES = ["+14155550701", "+14155550702", "+14155550703"];

let browser;
const problems = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe("follow-ups and duplicates", { concurrency: false, skip: TMP ? false : "WACAST_E2E_TMP is not set (run through tests/e2e/test_web.py)" }, () => {
  test("a campaign is followed up to those who did not reply, and duplicated, each opening in the editor", async () => {
    const { token, sessionId } = await accountWithNumber(bea, "Fruit shop");
    for (const [i, phone] of PHONES.entries()) await api("POST", "/api/contacts", token, { phone, first_name: `Cliente${i}`, tags: ["fruta"] });
    const origin = await api("POST", "/api/campaigns", token, {
      name: "Laranjas",
      template: "Laranjas fresquinhas, {{first_name}}!",
      audience: { tags: ["fruta"] },
      session_ids: [sessionId],
      pacing: { min_gap_s: 0, max_gap_s: 0, daily_cap: 1000, warmup: false },
    });
    await api("POST", `/api/campaigns/${origin.campaign_id}/schedule`, token, {});
    await until("the campaign to finish", async () => (await api("GET", `/api/campaigns/${origin.campaign_id}`, token)).status === "completed", 90_000);
    const control = await until("the simulator's control file", () => simControl(sessionId));
    const answer = await fetch(`${control}/sim/inbound`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ from: PHONES[0], body: "Quero 2 kg" }) });
    assert.equal(answer.status, 200);
    await until("the reply to count", async () => (await api("GET", `/api/campaigns/${origin.campaign_id}`, token)).counters.replies === 1);

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: BASE, locale: "en-GB", timezoneId: "Europe/Lisbon", bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto("/auth/login");
    await page.evaluate((t) => localStorage.setItem("wacast.token", t), token);
    await page.goto(`/campaigns/${origin.campaign_id}`);

    // Follow up: who (with counts), after how many days; the two who did not reply.
    await page.getByRole("button", { name: "Follow up" }).click();
    const dialog = page.getByRole("dialog", { name: "Follow up “Laranjas”" });
    await dialog.getByTestId("follow-up-count").filter({ hasText: "2 people right now" }).waitFor();
    await dialog.getByRole("radio", { name: /Those who read it but did not reply/ }).waitFor();
    await dialog.getByLabel("Send after (days)").fill("3");
    await shots(page, "follow-up-dialog", problems);
    await dialog.getByRole("button", { name: "Write the follow-up" }).click();
    await page.waitForURL((url) => /\/campaigns\/[^/]+\/edit$/.test(url.pathname) && !url.pathname.includes(origin.campaign_id));
    const followUpId = new URL(page.url()).pathname.split("/")[2];
    await page.getByTestId("follow-up-note").filter({ hasText: "A follow-up of “Laranjas”: only its recipients who have not replied." }).waitFor();
    // The composer counts the follow-up's own recipients, not every contact.
    await page.getByTestId("recipient-count").filter({ hasText: /^2 recipients;/ }).waitFor();
    const cap = page.getByRole("spinbutton", { name: /Leave out people who got a message from you in the last/ });
    assert.equal(await cap.inputValue(), "24");
    await page.getByLabel("Message", { exact: true }).fill("Ainda dá tempo, {{first_name}}!");
    await page.getByTestId("save-state").filter({ hasText: "Draft saved." }).waitFor();
    await shots(page, "follow-up-editor", problems);
    const draft = await api("GET", `/api/campaigns/${followUpId}`, token);
    assert.deepEqual(draft.follow_up, { campaign_id: origin.campaign_id, kind: "not_replied", after_days: 3 });
    assert.equal(draft.template, "Ainda dá tempo, {{first_name}}!");
    assert.deepEqual(draft.session_ids, [sessionId]);
    assert.ok(draft.send_at > Date.now() + 2 * 86_400_000, "three days after the original");

    // Duplicate: a new draft with the same message, opened in the editor.
    await page.goto(`/campaigns/${origin.campaign_id}`);
    await page.getByRole("button", { name: "Duplicate" }).click();
    await page.waitForURL((url) => /\/campaigns\/[^/]+\/edit$/.test(url.pathname) && !url.pathname.includes(origin.campaign_id) && !url.pathname.includes(followUpId));
    assert.equal(await page.getByLabel("Campaign name", { exact: true }).inputValue(), "Laranjas (copy)");
    assert.equal(await page.getByLabel("Message", { exact: true }).inputValue(), "Laranjas fresquinhas, {{first_name}}!");
    await shots(page, "campaign-duplicate", problems);
    await context.close();
    assert.deepEqual(problems, []);
  });
});
