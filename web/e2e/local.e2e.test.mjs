// Local first in a real browser: a Brazilian browser (pt-BR, America/Sao_Paulo) registers,
// the first-run step picks Brazil / São Paulo / Portuguese by itself, the app speaks
// Portuguese, the import preview proposes Brazil for a file read as US, and the
// contacts page shows the result. Screenshots at 1280 and 375 px.
// Run by tests/e2e/test_web.py with the rest of e2e/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.WACAST_E2E_BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.WACAST_E2E_SCREENSHOTS ?? join(process.cwd(), "..", "test-artifacts", "screenshots");
const CHROMIUM = process.env.WACAST_E2E_CHROMIUM ?? "/usr/bin/chromium";
const maria = {
  name: "Maria Padaria",
  email: `padaria-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`,
  password: "panetone de natal 2026",
};

let browser;
const errors = [];

async function shots(page, name) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 860 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync", "--lang=pt-BR"],
  });
});

after(async () => {
  await browser?.close();
});

describe("local first", { concurrency: false }, () => {
  test("a Brazilian browser gets Brazil, São Paulo and Portuguese, and Brazilian phones", async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      baseURL: BASE,
      locale: "pt-BR",
      timezoneId: "America/Sao_Paulo",
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (error) => errors.push(String(error)));

    // Before any account exists the words follow the browser's language.
    await page.goto("/auth/register");
    await page.getByLabel("Seu nome").fill(maria.name);
    await page.getByLabel("E-mail").fill(maria.email);
    await page.getByLabel("Senha").fill(maria.password);
    await page.getByRole("button", { name: "Criar conta" }).click();

    // The first-run step, already answered from the browser.
    await page.waitForURL("**/welcome");
    await page.getByRole("heading", { name: "Boas-vindas ao wacast" }).waitFor();
    assert.equal(await page.getByLabel("País do seu negócio").inputValue(), "BR");
    assert.equal(await page.getByLabel("Fuso horário", { exact: true }).inputValue(), "America/Sao_Paulo");
    assert.equal(await page.getByLabel("Idioma dos seus clientes").inputValue(), "pt");
    await page.getByText(/Respostas como “SAIR”/).waitFor();
    await shots(page, "local-onboarding");
    await page.getByRole("button", { name: "Salvar e continuar" }).click();
    await page.waitForURL("**/dashboard");

    // Settings show what was saved, in Portuguese, with Portuguese opt-out words on.
    await page.goto("/settings");
    await page.getByRole("heading", { name: "Configurações" }).waitFor();
    assert.equal(await page.getByLabel("País padrão").inputValue(), "BR");
    assert.equal(await page.getByLabel("Fuso horário", { exact: true }).inputValue(), "America/Sao_Paulo");
    assert.equal(await page.getByRole("checkbox", { name: /Português/ }).isChecked(), true);
    await shots(page, "local-settings");

    // Import: a Brazilian file; read as US it proposes Brazil, and flags the +98 reading.
    await page.goto("/contacts/import");
    const rows = ["Nome;Celular;Cidade"];
    for (let i = 0; i < 12; i += 1) rows.push(`Cliente ${i};(11) 9${String(1000 + i)}-${String(2000 + i)};São Paulo`);
    rows.push("Turista;989318243306;Teerã");
    await page.getByLabel("Planilha ou arquivo CSV").setInputFiles({ name: "clientes.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\n"), "utf-8") });
    await page.getByRole("button", { name: "Enviar e ver prévia" }).click();
    const check = page.getByTestId("phone-check");
    await check.getByText(/12 de 13 telefones/).waitFor();
    await page.getByLabel("País dos números").selectOption("US");
    await check.getByRole("button", { name: /Ler como de Brasil/ }).waitFor();
    await check.getByText(/só é válido como de outro país/).waitFor();
    await shots(page, "local-import-region");
    await check.getByRole("button", { name: /Ler como de Brasil/ }).click();
    await check.getByText(/12 de 13 telefones/).waitFor();
    assert.equal(await page.getByLabel("País dos números").inputValue(), "BR");
    await page.getByLabel("Etiquetas para todos deste arquivo").fill("Clientes Loja");
    await page.getByRole("button", { name: "Iniciar importação" }).click();
    await page.getByRole("heading", { name: "clientes.csv: Concluída" }).waitFor({ timeout: 60_000 });
    const counters = await page.getByTestId("import-counters").innerText();
    assert.match(counters, /Criados\s*12/);
    assert.match(counters, /Inválidos\s*1/);

    // Contacts: Portuguese words, the tag as typed, the city as a column.
    await page.getByRole("link", { name: "Ver contatos" }).click();
    await page.getByRole("heading", { name: "Contatos" }).waitFor();
    await page.getByRole("button", { name: /Clientes Loja\s*12/ }).waitFor();
    await page.getByRole("checkbox", { name: "cidade" }).check();
    await page.getByRole("columnheader", { name: "cidade" }).waitFor();
    await shots(page, "local-contacts");
    await page.getByRole("button", { name: "Editar +5511910002000" }).click();
    const dialog = page.getByRole("dialog", { name: "Editar +5511910002000" });
    await dialog.getByLabel("Nome completo").fill("Ana Maria de Souza");
    await dialog.getByRole("button", { name: "Salvar" }).click();
    await page.getByRole("cell", { name: "Ana Maria de Souza" }).waitFor();

    assert.deepEqual(errors, [], "no script errors");
    await context.close();
  });
});
