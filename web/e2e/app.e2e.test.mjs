// Browser end-to-end test of the built SPA against a running local stack.
// Run by tests/e2e/test_web.py, which starts the stack; standalone:
//   WACAST_E2E_BASE=http://127.0.0.1:8000 npm run e2e
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const CHROMIUM = process.env.WACAST_E2E_CHROMIUM ?? "/usr/bin/chromium";
const AGENT = `mac-mini-${Date.now() % 100000}`;
const ADMIN = { email: "demo@example.com", password: "wacast-demo-password" };
const user = {
  name: "Ana Test",
  email: `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`,
  password: "correct horse battery staple",
};

let browser;
const consoleErrors = [];

async function newPage(viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, baseURL: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("console", (msg) => {
    // 4xx answers the app expects (401 on bad sign-in, 409 while no QR) are logged
    // by the browser as failed resources; only script errors count.
    // A Content-Security-Policy refusal is an error too: the built SPA must need none.
    if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  return page;
}

const a11yProblems = [];

/** Screenshot, and an axe-core check (WCAG 2.1 A/AA) of what is on screen. */
async function shot(page, name) {
  // From the top, so the sticky header sits where it belongs in the full-page picture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  // Evaluated, not added as a <script>: the app's CSP (rightly) refuses inline scripts.
  await page.evaluate(readFileSync(axeSource, "utf8"));
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  });
  for (const v of violations) a11yProblems.push(`${name}: ${v}`);
}

async function signIn(page, email, password) {
  await page.goto("/auth/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/dashboard");
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Playwright gives every launch a new, empty --user-data-dir of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

describe("wacast web", { concurrency: false }, () => {
  test("a new user registers, signs in, adds a number, scans the QR and sees it connected", async () => {
    const page = await newPage();
    await page.goto("/");
    await page.waitForURL("**/auth/login**");
    await shot(page, "login");

    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Your name").fill(user.name);
    await page.getByLabel("Email").fill(user.email);
    // The API's validation message appears at the field.
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    const passwordError = page.locator("#" + (await page.getByLabel("Password").getAttribute("id")) + "-error");
    await passwordError.waitFor();
    assert.match(await passwordError.innerText(), /at least 10 characters/);
    await shot(page, "register-validation");
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Create account" }).click();
    // The first-run step (country, time zone, customers' language) comes once.
    await page.waitForURL("**/welcome");
    await page.getByRole("button", { name: "Save and continue" }).click();
    await page.waitForURL("**/dashboard");

    // Sign out, then sign in with the new account.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/auth/login**");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "incorrect" }).waitFor();
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/dashboard");
    await page.getByRole("heading", { name: "Hello, Ana" }).waitFor();
    await page.getByText("No numbers yet").waitFor();
    assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0, "no Admin link for a user");
    await shot(page, "dashboard-empty");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Numbers" }).click();
    await page.waitForURL("**/sessions");
    await page.getByText("No numbers yet").waitFor();
    await shot(page, "sessions-empty");
    await page.getByRole("button", { name: "Add number" }).click();
    const add = page.getByRole("dialog", { name: "Add a number" });
    await add.getByRole("button", { name: "Continue" }).click();
    await add.getByText(/Please fill this in/i).waitFor();
    await add.getByLabel("Name for this number").fill("Shop front desk");
    await add.getByRole("button", { name: "Continue" }).click();

    const link = page.getByRole("dialog", { name: /Link “Shop front desk”/ });
    const qr = link.getByRole("img", { name: "QR code to scan with WhatsApp" });
    await qr.waitFor({ timeout: 30_000 });
    assert.match(await qr.getAttribute("src"), /^data:image\/png;base64,/);
    await shot(page, "sessions-qr");

    // The simulator scans by itself after 3 s; the modal closes on connected.
    await link.waitFor({ state: "detached", timeout: 45_000 });
    await page.getByRole("status").filter({ hasText: "“Shop front desk” is connected." }).waitFor();
    const card = page.getByRole("list", { name: "Your numbers", exact: true }).getByRole("listitem").filter({ hasText: "Shop front desk" });
    await card.getByTestId("session-status").filter({ hasText: "Connected" }).waitFor();
    await shot(page, "sessions-connected");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
    await page.getByText("1 of 1 connected").waitFor();
    await shot(page, "dashboard");

    // Settings: a server-side validation message shows at its field; a good value saves.
    await page.goto("/settings");
    await page.getByLabel("Time zone", { exact: true }).fill("Mars/Olympus_Mons");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText(/not a time zone we know/i).waitFor();
    await page.getByLabel("Time zone", { exact: true }).fill("Europe/Lisbon");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByRole("status").filter({ hasText: "Profile saved." }).waitFor();
    await page.getByText("This browser").waitFor();
    await shot(page, "settings");

    // Delete the number, with confirmation.
    await page.goto("/sessions");
    await page.getByRole("button", { name: "Delete Shop front desk" }).click();
    await page.getByRole("dialog", { name: /Delete “Shop front desk”/ }).getByRole("button", { name: "Delete number" }).click();
    await card.getByTestId("session-status").filter({ hasText: "Stopped" }).waitFor();
    await card.getByText(/its data is deleted on/).waitFor();
    assert.equal(await card.getByRole("button").count(), 0, "a removed number has no actions");

    // Upgrade through the local checkout: the plan changes only when the signed webhook lands.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Billing" }).click();
    await page.waitForURL("**/billing");
    await page.getByRole("button", { name: "Upgrade to Starter" }).click();
    await page.waitForURL("**/dev/checkout/**");
    await shot(page, "checkout");
    await page.getByRole("button", { name: "Pay" }).click();
    await page.waitForURL("**/billing**");
    const starter = page.locator("li").filter({ hasText: "Starter" });
    await starter.getByText("Current plan").waitFor({ timeout: 30_000 });
    await shot(page, "billing-upgraded");

    // A small phone: the menu collapses behind a button.
    const phone = await newPage({ width: 375, height: 740 });
    await phone.goto("/auth/login");
    await phone.evaluate(() => localStorage.clear());
    await signIn(phone, user.email, user.password);
    await phone.getByRole("button", { name: "Open menu" }).click();
    await phone.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Numbers" }).waitFor();
    await shot(phone, "mobile-menu");
    await phone.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Numbers" }).click();
    await phone.waitForURL("**/sessions");
    await phone.getByTestId("session-status").filter({ hasText: "Stopped" }).waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
    await shot(phone, "mobile-sessions");
    await phone.context().close();
    await page.context().close();
  });

  test("an admin sees the agents, creates one and is shown its token once", async () => {
    const page = await newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
    await page.waitForURL("**/admin");
    const table = page.getByRole("table", { name: "Agents" });
    await table.getByRole("rowheader", { name: /local-mac-mini/ }).waitFor();
    await table.getByText("Online").first().waitFor();
    await page.getByRole("button", { name: "Add agent" }).click();
    const dialog = page.getByRole("dialog", { name: "Add an agent" });
    await dialog.getByLabel("Agent name").fill(AGENT);
    await dialog.getByLabel("Capacity (WhatsApp sessions)").fill("12");
    await dialog.getByRole("button", { name: "Create agent" }).click();
    const secret = page.getByRole("dialog", { name: `Token for “${AGENT}”` });
    const token = await secret.getByLabel("Agent token").inputValue();
    assert.ok(token.length >= 20, "the token is shown");
    await shot(page, "admin-agent-token");
    await secret.getByRole("button", { name: "I have saved it" }).click();
    const row = table.getByRole("row").filter({ hasText: AGENT });
    await row.getByText("12 sessions").waitFor();
    assert.equal(await page.getByText(token).count(), 0, "the token is not shown again");
    await shot(page, "admin");
    await page.context().close();

    // On a small phone the agents table scrolls inside its card, not the page.
    const phone = await newPage({ width: 375, height: 740 });
    await signIn(phone, ADMIN.email, ADMIN.password);
    await phone.goto("/admin");
    await phone.getByRole("table", { name: "Agents" }).getByRole("rowheader", { name: /local-mac-mini/ }).waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no sideways page scrolling at 375 px (page is ${width} px wide)`);
    await shot(phone, "mobile-admin");
    await phone.context().close();
  });

  test("a forgotten password is reset through the emailed link", async () => {
    const page = await newPage();
    await page.goto("/auth/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill(user.email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByText("Check your email").waitFor();
    await shot(page, "reset-request");

    let link = null;
    for (let i = 0; i < 50 && !link; i++) {
      const mails = await (await fetch(`${BASE}/dev/mail.json`)).json();
      const mine = mails.filter((m) => m.to.includes(user.email));
      const found = mine.at(-1)?.body.match(/https?:\/\/\S+\/auth\/reset\?token=[\w.~%-]+/);
      if (found) link = found[0];
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(link, "the reset email arrived in the local mailbox");
    await page.goto(new URL(link).pathname + new URL(link).search);
    await page.getByLabel("New password", { exact: true }).fill("another good passphrase");
    await page.getByLabel("Repeat the new password").fill("another good passphrase");
    await shot(page, "reset-confirm");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByText("Your password was changed").waitFor();
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("another good passphrase");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/dashboard");
    await page.context().close();
  });

  test("contacts are imported from a CSV, a campaign to their tag is launched and completes", async () => {
    const TAG = `e2e${Date.now() % 1000000}`;
    const page = await newPage();
    await signIn(page, ADMIN.email, ADMIN.password);

    // A number to send from (the simulator scans the QR by itself).
    await page.goto("/sessions");
    await page.getByRole("button", { name: "Add number" }).click();
    const add = page.getByRole("dialog", { name: "Add a number" });
    await add.getByLabel("Name for this number").fill(`Sender ${TAG}`);
    await add.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("dialog", { name: new RegExp(`Link “Sender ${TAG}”`) }).waitFor({ state: "detached", timeout: 60_000 });

    // Import wizard: file → preview and mapping → options → live progress.
    await page.goto("/contacts");
    await page.getByRole("link", { name: "Import file" }).click();
    await page.waitForURL("**/contacts/import");
    const csv = "Phone;First name;City\n+351912345601;Maria;Porto\n+351912345602;João;Lisboa\n+351912345603;Ana;Faro\nnot a phone;Bad;Row\n";
    await page.getByLabel("Spreadsheet or CSV file", { exact: true }).setInputFiles({ name: `${TAG}.csv`, mimeType: "text/csv", buffer: Buffer.from(csv, "utf-8") });
    await page.getByRole("button", { name: "Upload and preview" }).click();
    await page.getByText(/separated by semicolon/).waitFor();
    assert.equal(await page.getByLabel("Import Phone as").inputValue(), "phone");
    await page.getByLabel("Tags for everyone in this file").fill(TAG);
    await shot(page, "contacts-import-mapping");
    await page.getByRole("button", { name: "Start import" }).click();
    await page.getByRole("heading", { name: `${TAG}.csv: Finished` }).waitFor({ timeout: 60_000 });
    const counters = page.getByTestId("import-counters");
    assert.match(await counters.innerText(), /Created\s*3/);
    assert.match(await counters.innerText(), /Invalid\s*1/);
    await page.getByRole("button", { name: "Download error report" }).waitFor();
    await shot(page, "contacts-import-done");

    await page.getByRole("link", { name: "See contacts" }).click();
    await page.getByLabel("Tag", { exact: true }).selectOption(TAG);
    await page.getByRole("cell", { name: "Maria" }).waitFor();
    await shot(page, "contacts");

    // Campaign: message with variables, the tag as audience, the new number, fast pacing for the test.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).click();
    await page.getByRole("link", { name: "New campaign" }).click();
    await page.getByLabel("Campaign name", { exact: true }).fill(`Launch ${TAG}`);
    await page.getByLabel("Message", { exact: true }).fill("{Hi|Hello} {{first_name|there}}, news from {{city}}!");
    await page.getByRole("radio", { name: /Contacts with any of these tags/ }).check();
    await page.getByRole("checkbox", { name: new RegExp(`^${TAG}`) }).check();
    await page.getByRole("checkbox", { name: new RegExp(`Sender ${TAG}`) }).check();
    await page.getByLabel("Shortest gap (seconds)").fill("0");
    await page.getByLabel("Longest gap (seconds)").fill("0");
    await page.getByText(/Gaps under 10 seconds/).waitFor();
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForURL("**/campaigns/*/edit");
    await page.getByTestId("recipient-count").filter({ hasText: "3 recipients" }).waitFor();
    await page.getByTestId("message-preview").waitFor();
    await shot(page, "campaign-editor");
    await page.getByRole("button", { name: "Launch now" }).click();
    await page.getByRole("dialog", { name: "Send this campaign?" }).getByRole("button", { name: "Send to 3" }).click();
    await page.waitForURL(/\/campaigns\/[^/]+$/);
    await page.getByTestId("campaign-status").filter({ hasText: "Completed" }).waitFor({ timeout: 120_000 });
    await page.getByTestId("campaign-progress").filter({ hasText: "Completed — 3 of 3 sent" }).waitFor();
    const recipients = page.getByRole("table", { name: "Recipients and their status" });
    await recipients.getByText("+351912345603").waitFor();
    assert.equal(await recipients.getByRole("row").count(), 4, "three recipients and the header");
    await shot(page, "campaign-detail");
    const detail = page.url();

    await page.goto("/campaigns");
    await page.getByRole("link", { name: `Launch ${TAG}` }).waitFor();
    await shot(page, "campaigns");
    await page.goto("/dashboard");
    await page.getByRole("heading", { name: "Running campaigns" }).waitFor();
    await page.getByTestId("usage").waitFor();
    await shot(page, "dashboard-campaigns");
    await page.goto("/billing");
    await page.getByRole("heading", { name: "Your plan" }).waitFor();
    await shot(page, "billing");
    await page.context().close();

    // At 375 px the new pages do not scroll sideways.
    const phone = await newPage({ width: 375, height: 740 });
    await signIn(phone, ADMIN.email, ADMIN.password);
    for (const [path, ready, name] of [
      ["/contacts", () => phone.getByRole("table", { name: "Contacts" }), "mobile-contacts"],
      [new URL(detail).pathname, () => phone.getByRole("table", { name: "Recipients and their status" }), "mobile-campaign-detail"],
      [new URL(detail).pathname + "/edit", () => phone.getByLabel("Message", { exact: true }), "mobile-campaign-editor"],
    ]) {
      await phone.goto(path);
      await ready().waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 375, `no sideways scrolling at 375 px on ${path} (page is ${width} px wide)`);
      await shot(phone, name);
    }
    await phone.context().close();
  });

  test("a number's licence key is set on its page, shown masked, at 1280 and 375 px", async () => {
    const label = `Licensed ${Date.now() % 100000}`;
    const page = await newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/sessions");
    await page.getByRole("button", { name: "Add number" }).click();
    const add = page.getByRole("dialog", { name: "Add a number" });
    await add.getByLabel("Name for this number").fill(label);
    await add.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("dialog", { name: new RegExp(`Link “${label}”`) }).waitFor({ state: "detached", timeout: 60_000 });
    const card = page.getByRole("list", { name: "Your numbers", exact: true }).getByRole("listitem").filter({ hasText: label });
    const panel = card.getByTestId("license-panel");
    await panel.locator("summary").click();
    await panel.getByText(/people who have chatted with it before/).waitFor();
    await panel.getByLabel("Licence key").fill("E2E-LICENCE-KEY-7Q9Z");
    await panel.getByRole("button", { name: "Save key" }).click();
    await panel.getByText("set (••••7Q9Z)").waitFor();
    assert.equal(await page.getByText("E2E-LICENCE-KEY-7Q9Z").count(), 0, "the key is never shown in full");
    const id = (await card.getAttribute("id")).replace(/^number-/, "");
    // The notices' link target: the number's own address opens its licence panel.
    await page.goto(`/sessions/${id}`);
    await card.getByTestId("license-panel").getByText(/Key ending in/).waitFor();
    await shot(page, "sessions-license");

    const phone = await newPage({ width: 375, height: 740 });
    await signIn(phone, ADMIN.email, ADMIN.password);
    await phone.goto(`/sessions/${id}`);
    await phone.getByText(/Key ending in/).first().waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no sideways scrolling at 375 px (page is ${width} px wide)`);
    await shot(phone, "mobile-sessions-license");
    await phone.context().close();
    await page.context().close();
  });

  test("no script errors in the browser", () => {
    assert.deepEqual(consoleErrors, []);
  });

  test("no serious accessibility problems on the pages seen (axe-core)", () => {
    assert.deepEqual(a11yProblems, []);
  });
});
