// The app in Portuguese (issue 14), against a running local stack started by
// tests/e2e/test_web_i18n.py (or WACAST_E2E_BASE=http://127.0.0.1:8000 node --test e2e/i18n.e2e.mjs).
// The browser is American English; the account says Portuguese, Brazil, São Paulo:
// the campaigns list, the composer, the campaign page and the numbers page speak
// Portuguese and write numbers and dates the Brazilian way ("1.956", "28/11/2026").
// Screenshots at 1280 and 375 px. Not named *.test.mjs: test_web.py's `node --test e2e/`
// does not run it a second time.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const CHROMIUM = process.env.WACAST_E2E_CHROMIUM ?? "/usr/bin/chromium";
const RUN = `${Date.now() % 1_000_000}`;
const TAG = `clientes${RUN}`;
const COUNT = 1956;
const joana = { name: "Joana Padaria", email: `joana-${RUN}-${Math.floor(Math.random() * 1e6)}@example.com`, password: "pão de queijo quentinho 2026" };

let browser;
const errors = [];

async function api(method, path, token, body) {
  const response = await fetch(new URL(path, BASE), { method, headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The page at 1280 and 375 px, with no sideways scrolling on the phone. */
async function shots(page, name) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 860 });
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    if (width === 375) {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 375, `no sideways scrolling at 375 px on ${name} (${wide} px)`);
    }
    await page.screenshot({ path: join(SHOTS, `i18n-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=en-US"],
  });
});

after(async () => {
  await browser?.close();
});

describe("the app in Portuguese", { concurrency: false }, () => {
  test("a pt-BR account sees its campaigns, composer, campaign and numbers in Portuguese with Brazilian formats", async () => {
    await api("POST", "/api/auth/register", null, { name: joana.name, email: joana.email, password: joana.password });
    const { token } = await api("POST", "/api/auth/login", null, { email: joana.email, password: joana.password });
    await api("PATCH", "/api/me", token, { timezone: "America/Sao_Paulo", default_region: "BR", language: "pt", onboarded: true });

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: BASE, locale: "en-US", timezoneId: "America/New_York" });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (msg) => {
      if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) errors.push(msg.text());
    });
    await page.goto("/auth/login");
    await page.evaluate((t) => localStorage.setItem("wacast.token", t), token);
    // Today in São Paulo, the Brazilian way: the browser (New York, en-US) would write 11/28/2026.
    const today = new Intl.DateTimeFormat("pt-BR", { timeZone: "America/Sao_Paulo", day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date());
    assert.match(today, /^\d{2}\/\d{2}\/\d{4}$/);

    // Numbers: add one (the simulator scans the QR by itself).
    await page.goto("/sessions");
    await page.getByRole("heading", { name: "Números", level: 1 }).waitFor();
    const nav = page.getByRole("navigation", { name: "Principal" });
    for (const link of ["Painel", "Números", "Contatos", "Campanhas"]) await nav.getByRole("link", { name: link, exact: true }).waitFor();
    await page.getByRole("button", { name: "Adicionar número" }).first().click();
    const add = page.getByRole("dialog", { name: "Adicionar um número" });
    await add.getByLabel("Nome para este número").fill("Padaria");
    await add.getByRole("button", { name: "Continuar" }).click();
    await page.getByRole("dialog", { name: /Conectar “Padaria”/ }).waitFor({ state: "detached", timeout: 60_000 });
    const card = page.getByRole("list", { name: "Seus números" }).getByRole("listitem").filter({ hasText: "Padaria" });
    await card.getByTestId("session-status").filter({ hasText: "Conectado" }).waitFor({ timeout: 30_000 });
    await card.getByText("Pronto para enviar.").waitFor();
    await card.getByText(/^Atualizado (há|agora)/).waitFor();
    await card.getByText("Histórico").click();
    await card.getByText(today).first().waitFor();
    await shots(page, "numbers");

    // 1,956 customers, imported in Portuguese.
    const rows = Array.from({ length: COUNT }, (_, i) => `+55119${String(80_000_000 + i)};Cliente ${i}`);
    await page.goto("/contacts/import");
    await page.getByLabel("Planilha ou arquivo CSV", { exact: true }).setInputFiles({ name: `${TAG}.csv`, mimeType: "text/csv", buffer: Buffer.from(`Celular;Nome\n${rows.join("\n")}\n`, "utf-8") });
    await page.getByRole("button", { name: "Enviar e ver prévia" }).click();
    await page.getByLabel("Etiquetas para todos deste arquivo").fill(TAG);
    await page.getByRole("button", { name: "Iniciar importação" }).click();
    await page.getByRole("heading", { name: `${TAG}.csv: Concluída` }).waitFor({ timeout: 120_000 });

    // The composer: Portuguese words, the account's zone, Brazilian digits.
    await page.goto("/campaigns/new");
    await page.getByRole("heading", { name: "Nova campanha", level: 1 }).waitFor();
    await page.getByLabel("Nome da campanha", { exact: true }).fill("Pão de queijo");
    await page.getByLabel("Mensagem", { exact: true }).fill("Olá {{first_name|cliente}}! Fornada nova de *pão de queijo* hoje. Responda SAIR para não receber mais.");
    await page.waitForURL("**/campaigns/*/edit");
    await page.getByText(/\d+ \/ 4\.096 caracteres/).waitFor();
    await page.getByRole("radio", { name: /Contatos com qualquer uma destas etiquetas/ }).check();
    await page.getByRole("checkbox", { name: new RegExp(`^${TAG}`) }).check();
    await page.getByTestId("recipient-count").filter({ hasText: "1.956 destinatários" }).waitFor({ timeout: 30_000 });
    await page.getByTestId("forecast-audience").filter({ hasText: "1.956 destinatários" }).waitFor({ timeout: 30_000 });
    await page.getByTestId("forecast-words").filter({ hasText: /^Cerca de \d+ dias: .*hoje/ }).waitFor({ timeout: 30_000 });
    await page.getByTestId("campaign-timezone").filter({ hasText: "America/Sao_Paulo" }).waitFor();
    await page.getByRole("radio", { name: "Em uma data e hora" }).check();
    assert.equal(await page.getByLabel("Fuso horário", { exact: true }).inputValue(), "America/Sao_Paulo");
    assert.match(await page.getByLabel("Data e hora", { exact: true }).inputValue(), /T10:00$/);
    await page.getByRole("radio", { name: "Assim que eu lançar" }).check();
    await page.getByTestId("save-state").filter({ hasText: "Rascunho salvo." }).waitFor();
    await shots(page, "composer");

    // Launch: the Free plan's 100 messages are short of 1,956, so it sends to the first 100.
    await page.getByRole("button", { name: "Lançar agora" }).click();
    const summary = page.getByRole("dialog", { name: "Enviar esta campanha?" });
    await summary.getByTestId("launch-facts").filter({ hasText: /1\.956 necessárias, restam 100 neste mês/ }).waitFor();
    await summary.getByRole("button", { name: "Enviar agora para os primeiros 100" }).click();
    await page.waitForURL(/\/campaigns\/[^/]+$/);

    // The campaign's page.
    await page.getByTestId("campaign-status").filter({ hasText: /Enviando|Pausada|Concluída/ }).waitFor({ timeout: 60_000 });
    await page.getByTestId("campaign-progress").filter({ hasText: /de 1\.956 enviadas/ }).waitFor({ timeout: 60_000 });
    await page.getByText("Destinatários", { exact: true }).first().waitFor();
    await page.getByRole("heading", { name: "Funil" }).waitFor();
    await page.getByRole("button", { name: "Exportar CSV" }).waitFor();
    await shots(page, "detail");

    // The list.
    await page.getByRole("navigation", { name: "Principal" }).getByRole("link", { name: "Campanhas" }).click();
    await page.getByRole("heading", { name: "Campanhas", level: 1 }).waitFor();
    const item = page.getByRole("list", { name: "Suas campanhas" }).getByRole("listitem").filter({ hasText: "Pão de queijo" });
    await item.getByText(`Lançada em ${today}`, { exact: false }).waitFor();
    await item.getByText(/de 1\.956 enviadas/).waitFor();
    await page.getByRole("link", { name: "Nova campanha" }).waitFor();
    await shots(page, "campaigns");

    assert.deepEqual(errors, [], "no script errors");
    await context.close();
  });
});
