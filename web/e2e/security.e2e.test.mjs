// Test sends in a real browser (issue 12: tests bypassed the quota and opt-outs), against a
// running local stack started by tests/e2e/test_web.py (or WACAST_E2E_BASE=… node --test
// e2e/security.e2e.test.mjs): the composer says what a test costs and how many a day are
// allowed; a test to a contact who opted out is refused in plain words; one to another
// contact goes out and uses a message of the plan. Repeated wrong passwords slow one
// device's sign-in down with a sentence on the form.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { api, launchChromium } from "./support.mjs";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const RUN = `${Date.now() % 1_000_000}${Math.floor(Math.random() * 1e4)}`;
const bia = { name: "Bia Floricultura", email: `bia-${RUN}@example.com`, password: "roses are red 2026" };
const OPTED_OUT = "+5511987001234";
const FRIEND = "+5511987005678";
const NEIGHBOUR = "+5511987009012"; // one test per recipient is in flight at a time

let browser;
const consoleErrors = [];

async function newPage(viewport) {
  const context = await browser.newContext({ viewport, baseURL: BASE, locale: "en-GB", timezoneId: "America/Sao_Paulo" });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  return page;
}

async function signIn(page, token) {
  await page.goto("/auth/login");
  await page.evaluate((t) => localStorage.setItem("wacast.token", t), token);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

describe("test sends obey the rules of any send", { concurrency: false }, () => {
  test("a test to an opted-out contact is refused in words; another contact's test uses a message", async () => {
    await api("POST", "/api/auth/register", null, { name: bia.name, email: bia.email, password: bia.password });
    const { token } = await api("POST", "/api/auth/login", null, { email: bia.email, password: bia.password });
    await api("PATCH", "/api/me", token, { timezone: "America/Sao_Paulo", default_region: "BR", onboarded: true });
    const session = await api("POST", "/api/sessions", token, { label: "Floricultura" });
    await api("POST", "/api/contacts", token, { phone: OPTED_OUT, name: "Carla" });
    await api("POST", "/api/contacts", token, { phone: FRIEND, name: "Dani" });
    await api("POST", "/api/contacts", token, { phone: NEIGHBOUR, name: "Edu" });
    await api("POST", `/api/contacts/${encodeURIComponent(OPTED_OUT)}/opt-out`, token);
    // The simulator scans the number's QR by itself (WACAST_SIM_AUTO_SCAN).
    const deadline = Date.now() + 90_000;
    while ((await api("GET", `/api/sessions/${session.session_id}`, token)).status !== "connected") {
      assert.ok(Date.now() < deadline, "the number connects");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const before = (await api("GET", "/api/billing", token)).messages;

    const page = await newPage({ width: 1280, height: 860 });
    await signIn(page, token);
    await page.goto("/campaigns/new");
    await page.getByLabel("Campaign name", { exact: true }).fill("Dia das Mães");
    await page.getByLabel("Message", { exact: true }).fill("Olá {{first_name|cliente}}! Flores com 10% off.");
    await page.waitForURL("**/campaigns/*/edit");
    const allowance = page.getByTestId("test-allowance");
    assert.match(await allowance.innerText(), /uses one message of your plan/);
    // No fixed number before a test: the API counts the allowance (shown after one).
    assert.match(await allowance.innerText(), /Tests are limited per day, and never go to a contact who opted out/);
    assert.doesNotMatch(await allowance.innerText(), /\d/);

    const panel = page.getByRole("region", { name: "Send a test" });
    await panel.getByLabel("From").selectOption({ label: "Floricultura" });
    await panel.getByLabel("To (a contact's phone)").fill(OPTED_OUT);
    await panel.getByRole("button", { name: "Send test" }).click();
    await page.getByText("This contact asked not to be messaged, so wacast will not send them a test.").waitFor();
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot with the bar on top
    await page.screenshot({ path: join(SHOTS, "security-test-send-refused-1280.png"), fullPage: true });

    await panel.getByLabel("To (a contact's phone)").fill(FRIEND);
    await panel.getByRole("button", { name: "Send test" }).click();
    // The answer says how many tests are left today (the refused one took none).
    await page.getByTestId("tests-left").filter({ hasText: "19 of 20 tests left for today." }).waitFor();
    await page.getByText("The test message is on its way.").first().waitFor();
    await page.getByTestId("test-allowance").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "security-test-send-left-1280.png") });
    const after = (await api("GET", "/api/billing", token)).messages;
    assert.equal(after.remaining, before.remaining - 1, "the test uses one message of the plan");

    // A phone: the panel and its words fit without sideways scrolling.
    const phone = await newPage({ width: 375, height: 740 });
    await signIn(phone, token);
    await phone.goto(page.url());
    await phone.getByTestId("test-allowance").waitFor();
    const small = phone.getByRole("region", { name: "Send a test" });
    await small.getByLabel("From").selectOption({ label: "Floricultura" });
    await small.getByLabel("To (a contact's phone)").fill(OPTED_OUT);
    await small.getByRole("button", { name: "Send test" }).click();
    await phone.getByText("This contact asked not to be messaged").waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
    await phone.getByTestId("test-allowance").scrollIntoViewIfNeeded();
    await phone.screenshot({ path: join(SHOTS, "security-test-send-refused-375.png") });
    await small.getByLabel("To (a contact's phone)").fill(NEIGHBOUR);
    await small.getByRole("button", { name: "Send test" }).click();
    await phone.getByTestId("tests-left").filter({ hasText: "18 of 20 tests left for today." }).waitFor();
    await phone.getByTestId("test-allowance").scrollIntoViewIfNeeded();
    await phone.screenshot({ path: join(SHOTS, "security-test-send-left-375.png") });
    await phone.context().close();
    await page.context().close();
  });

  test("wrong passwords from one device slow its sign-in down, in plain words", async () => {
    // The account's owner elsewhere is never refused (tests/functional/test_security.py).
    const cara = { name: "Cara", email: `cara-${RUN}@example.com`, password: "tulips in the spring" };
    await api("POST", "/api/auth/register", null, cara);
    const words = /^Too many failed sign-ins from this device\. Wait (a minute|\d+ minutes) before trying again, or reset your password\.$/;
    for (const viewport of [{ width: 1280, height: 860 }, { width: 375, height: 740 }]) {
      const page = await newPage(viewport);
      await page.goto("/auth/login");
      await page.getByLabel("Email").fill(cara.email);
      let refused = null;
      for (let attempt = 0; attempt < 12 && !refused; attempt += 1) {
        await page.getByLabel("Password").fill(`not it ${attempt}`);
        const answer = page.waitForResponse((r) => r.url().endsWith("/api/auth/login"));
        await page.getByRole("button", { name: "Sign in" }).click();
        const response = await answer;
        if (response.status() === 429) refused = response;
        else assert.equal(response.status(), 401);
      }
      assert.ok(refused, "the device is slowed down after repeated wrong passwords");
      assert.ok(Number(refused.headers()["retry-after"]) >= 1);
      const form = page.locator("form").getByRole("alert");
      await form.filter({ hasText: "Too many failed sign-ins" }).waitFor();
      assert.match((await form.innerText()).trim(), words);
      // The form says it; no generic "Too many requests" toast on top.
      assert.equal(await page.getByText(/Too many requests/).count(), 0);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width, `no sideways scrolling at ${viewport.width} px`);
      await page.screenshot({ path: join(SHOTS, `security-login-slowed-${viewport.width}.png`), fullPage: true });
      await page.context().close();
    }
  });

  test("no script errors in the browser", () => {
    assert.deepEqual(consoleErrors, []);
  });
});
