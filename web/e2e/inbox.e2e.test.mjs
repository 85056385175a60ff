// The reply inbox in a real browser (issue 16), against a running local stack started by
// tests/e2e/test_web.py, which tells where its agent keeps the OpenWA simulator's control
// file (WACAST_E2E_TMP): a number connects, the simulator injects a reply, the Inbox shows
// it with a badge; a second reply appears without reload; opening it reads it; an answer
// (a quick reply, sent with Enter) goes out through the simulator and reaches "read".
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
const ana = { name: "Ana Flores", email: `flores-${RUN}-${Math.floor(Math.random() * 1e6)}@example.com`, password: "sunflowers every friday 2026" };

let browser;
const problems = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe("reply inbox", { concurrency: false, skip: TMP ? false : "WACAST_E2E_TMP is not set (run through tests/e2e/test_web.py)" }, () => {
  test("a reply appears in the inbox without reload, with a badge, and opening it reads it", async () => {
    const { token, sessionId } = await accountWithNumber(ana, "Flower shop");
    const control = await until("the simulator's control file", () => simControl(sessionId));
    await reply(control, "+14155550123", "Do you deliver on Sundays?");

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: BASE, locale: "en-GB", timezoneId: "Europe/Lisbon", bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto("/auth/login");
    await page.evaluate((t) => localStorage.setItem("wacast.token", t), token);
    await page.goto("/inbox");
    const list = page.getByRole("region", { name: "Conversations" });
    await list.getByText("Do you deliver on Sundays?").waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Inbox.*1 unread/ }).waitFor();

    // A second person writes: it appears by polling, no reload.
    await reply(control, "+14155550456", "Two bouquets for Saturday, please");
    await list.getByText("Two bouquets for Saturday, please").waitFor({ timeout: 30_000 });
    await shots(page, "inbox-list", problems);

    await list.getByRole("link", { name: /Do you deliver on Sundays/ }).click();
    await page.getByRole("list", { name: "Messages" }).getByText("Do you deliver on Sundays?").waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Inbox.*1 unread/ }).waitFor();
    await shots(page, "inbox-thread", problems);

    // Answer it from the app: a quick reply picked by typing "/", sent with Enter; the
    // simulator delivers it and the thread shows its ticks move to read, without reload.
    await api("POST", "/api/quick-replies", token, { name: "Sundays", text: "Yes, we deliver on Sundays from 9 to 13, {{first_name|friend}}!" });
    const box = page.getByLabel("Your answer");
    await box.fill("/sun");
    await page.getByRole("region", { name: "Quick replies" }).getByRole("button", { name: /Sundays/ }).click();
    assert.equal(await box.inputValue(), "Yes, we deliver on Sundays from 9 to 13, friend!");
    await box.press("Enter");
    const thread = page.getByRole("list", { name: "Messages" });
    await thread.getByText("Yes, we deliver on Sundays from 9 to 13, friend!").waitFor();
    await thread.locator('[data-status="read"]').last().waitFor({ timeout: 45_000 });
    await shots(page, "inbox-answer", problems);

    // The inbox's settings: the daily digest and "typing…" on this number.
    await page.goto("/settings");
    await page.getByLabel(/unread conversations once a day/).check();
    await page.getByRole("group", { name: /Show .typing/ }).getByLabel("Flower shop").check();
    await until("the settings saved", async () => {
      const [inbox, numbers] = await Promise.all([api("GET", "/api/conversations/settings", token), api("GET", "/api/conversations/numbers", token)]);
      return inbox.digest === "daily" && numbers.items.every((n) => n.show_typing);
    });
    await page.getByRole("heading", { name: "Inbox" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "inbox-settings-1280.png") });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.getByRole("heading", { name: "Inbox" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "inbox-settings-375.png") });
    await context.close();
    assert.deepEqual(problems, []);
  });
});
