// A/B variants in a real browser (issue 16), against a running local stack started by
// tests/e2e/test_web.py (WACAST_E2E_TMP tells where the simulator's control file is):
// the composer's "Add variant" tabs and the rollout option save with the draft; the
// campaign is sent through the simulator, some recipients reply, and the campaign page
// compares the variants with counts and rates, and names each recipient's variant.
// Screenshots at 1280 and 375 px, with an axe check.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { accountWithNumber, api, launchChromium, reply, shots, simControl, until } from "./support.mjs";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const TMP = process.env.WACAST_E2E_TMP ?? "";
const RUN = `${Date.now() % 1_000_000}`;
const TAG = `ab${RUN}`;
const bea = { name: "Bea Bolos", email: `bolos-${RUN}-${Math.floor(Math.random() * 1e6)}@example.com`, password: "carrot cake on tuesdays 2026" };

let browser;
const problems = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe("A/B variants", { concurrency: false, skip: TMP ? false : "WACAST_E2E_TMP is not set (run through tests/e2e/test_web.py)" }, () => {
  test("variants are written in the composer's tabs and compared on the campaign page", async () => {
    const { token, sessionId } = await accountWithNumber(bea, "Bakery");
    const phones = Array.from({ length: 8 }, (_, i) => `+5511987${String(650_000 + Number(RUN.slice(-3)) * 10 + i).padStart(6, "0")}`);
    for (const [i, phone] of phones.entries()) await api("POST", "/api/contacts", token, { phone, first_name: `Cliente${i}`, tags: [TAG] });

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: BASE, locale: "en-GB", timezoneId: "Europe/Lisbon" });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto("/auth/login");
    await page.evaluate((t) => localStorage.setItem("wacast.token", t), token);

    // Compose: A is the message; "Add variant" opens tab B, then C.
    await page.goto("/campaigns/new");
    await page.getByLabel("Campaign name", { exact: true }).fill("Carrot cake A/B");
    await page.getByLabel("Message", { exact: true }).fill("Hi {{first_name|there}}, carrot cake today!");
    await page.waitForURL("**/campaigns/*/edit");
    await page.getByRole("button", { name: "+ Add variant" }).click();
    const tabs = page.getByRole("tablist", { name: "Message variants" });
    await tabs.getByRole("tab", { name: "Variant B", selected: true }).waitFor();
    await page.getByText("Variant B is empty: write it, or remove it.").waitFor();
    await page.getByRole("tabpanel").getByLabel("Message", { exact: true }).fill("{{first_name|Hello}}, fresh carrot cake: reply YES to keep one!");
    // Its preview fills the variables in for a contact of the audience once saved.
    await page.getByTestId("variant-preview").getByText(/Cliente\d+, fresh carrot cake/).waitFor();
    await page.getByRole("button", { name: "+ Add variant" }).click();
    await tabs.getByRole("tab", { name: "Variant C", selected: true }).waitFor();
    await page.getByRole("tabpanel").getByLabel("Message", { exact: true }).fill("Carrot cake o'clock, {{first_name|friend}}.");
    // The tabs keep each text.
    await tabs.getByRole("tab", { name: "Variant A" }).click();
    assert.equal(await page.getByRole("tabpanel").getByLabel("Message", { exact: true }).inputValue(), "Hi {{first_name|there}}, carrot cake today!");
    await page.getByRole("checkbox", { name: "Send the rest with the best variant" }).check();
    await page.getByLabel("Test group (recipients)").fill("6");
    await page.getByLabel("Decide no sooner than (hours after launch)").fill("0");
    await page.getByRole("radio", { name: /Contacts with any of these tags/ }).check();
    await page.getByRole("checkbox", { name: new RegExp(`^${TAG}`) }).check();
    await page.getByRole("checkbox", { name: /Bakery/ }).check();
    await page.getByTestId("save-state").filter({ hasText: "Draft saved." }).waitFor();
    await shots(page, "variants-composer", problems);

    const campaignId = page.url().split("/campaigns/")[1].split("/")[0];
    const saved = await until("the variants to be saved", async () => {
      const c = await api("GET", `/api/campaigns/${campaignId}`, token);
      return c.variants.length === 2 && c.rollout?.test_size === 6 ? c : null;
    });
    assert.deepEqual(
      saved.variants.map((v) => [v.variant, v.template]),
      [
        ["B", "{{first_name|Hello}}, fresh carrot cake: reply YES to keep one!"],
        ["C", "Carrot cake o'clock, {{first_name|friend}}."],
      ],
    );

    // Launch with a quick pace; the simulator sends, two recipients answer.
    await api("PATCH", `/api/campaigns/${campaignId}`, token, { pacing: { min_gap_s: 0, max_gap_s: 1, daily_cap: 1000, warmup: false } });
    await api("POST", `/api/campaigns/${campaignId}/schedule`, token, {});
    const sent = await until("the test group to be sent", async () => {
      const c = await api("GET", `/api/campaigns/${campaignId}`, token);
      return c.variant_results.reduce((sum, r) => sum + r.sent, 0) >= 6 ? c : null;
    });
    const control = await until("the simulator's control file", () => simControl(sessionId));
    const { items } = await api("GET", `/api/campaigns/${campaignId}/messages`, token);
    const answered = items.filter((m) => m.variant && ["sent", "delivered", "read"].includes(m.status)).slice(0, 2);
    for (const m of answered) await reply(control, m.phone, "Yes please!");
    await until("the replies to count per variant", async () => {
      const c = await api("GET", `/api/campaigns/${campaignId}`, token);
      return c.variant_results.reduce((sum, r) => sum + r.replied, 0) === 2;
    });

    await page.goto(`/campaigns/${campaignId}`);
    const table = page.getByTestId("variant-comparison");
    await table.waitFor();
    for (const r of sent.variant_results) await table.getByRole("rowheader", { name: new RegExp(`^Variant ${r.variant}`) }).waitFor();
    const header = await table.locator("thead th").allInnerTexts();
    assert.deepEqual(
      header.map((h) => h.toLowerCase()),
      ["variant", "recipients", "sent", "delivered", "read", "replied", "failed"],
    );
    // A row with a reply shows the count and its rate, e.g. "1 (50%)".
    await table.locator("td", { hasText: /^1 \(\d+(\.\d)?%\)$/ }).first().waitFor();
    await page.getByTestId("rollout-state").waitFor();
    const recipients = page.getByRole("region", { name: "Recipients" });
    await recipients.getByText(/^Variant [ABC]$/).first().waitFor();
    await shots(page, "variants-detail", problems);
    await context.close();
    assert.deepEqual(problems, []);
  });
});
