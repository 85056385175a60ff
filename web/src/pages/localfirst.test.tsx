import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/token";
import { OptOutWordCheck } from "../components/OptOutWordCheck";
import { translate, uiLanguage } from "../i18n";
import { en } from "../i18n/en";
import { es } from "../i18n/es";
import { ptBR } from "../i18n/pt-BR";
import { guessCountry, guessLanguage } from "../i18n/locale";
import { contact, mockApi, page, user } from "../test/mockApi";
import { renderWithApp } from "../test/render";
import { ContactsPage } from "./contacts/Contacts";
import { ImportWizardPage } from "./contacts/ImportWizard";
import { OnboardingPage } from "./Onboarding";

afterEach(() => vi.unstubAllGlobals());

const me = (overrides: Record<string, unknown> = {}) => ({ ...user, language: "en", optout_languages: ["en"], optout_words: [], onboarded: true, ...overrides });

describe("the browser's guesses for the first-run step", () => {
  it("reads the country from the language tag, else from the time zone", () => {
    expect(guessCountry(["pt-BR", "pt"], "America/Sao_Paulo")).toBe("BR");
    expect(guessCountry(["pt"], "America/Sao_Paulo")).toBe("BR");
    expect(guessCountry(["es-MX"], "UTC")).toBe("MX");
    expect(guessCountry(["en"], "UTC")).toBeNull();
    expect(guessLanguage(["pt-BR"])).toBe("pt");
    expect(guessLanguage(["ja-JP", "de-DE"])).toBe("de");
    expect(guessLanguage(["ja-JP"])).toBe("en");
  });
});

describe("the message catalogue", () => {
  it("has every English key translated to Portuguese and Spanish, with the same placeholders", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const holes = (text: string) => [...text.matchAll(/(?<!\{)\{(\w+)\}(?!\})/g)].map((m) => m[1]).sort();
      expect(holes(ptBR[key]), key).toEqual(holes(en[key]));
      expect(holes(es[key]), key).toEqual(holes(en[key]));
    }
    expect(uiLanguage("pt")).toBe("pt-BR");
    expect(uiLanguage("de")).toBe("en");
    expect(translate("pt-BR", "contacts.optedOutBecause", { date: "3 de nov.", reply: "SAIR" })).toBe("Descadastrado em 3 de nov.: “SAIR”");
  });
});

describe("OnboardingPage", () => {
  it("saves the guessed country, time zone and language and marks the account onboarded", async () => {
    tokenStore.set("wct_x");
    vi.spyOn(navigator, "languages", "get").mockReturnValue(["pt-BR", "pt"]);
    const realFormat = Intl.DateTimeFormat;
    vi.spyOn(Intl, "DateTimeFormat").mockImplementation(((locale?: string, options?: Intl.DateTimeFormatOptions) => {
      const format = new realFormat(locale, options);
      return Object.assign(Object.create(format), { resolvedOptions: () => ({ ...format.resolvedOptions(), timeZone: "America/Sao_Paulo" }) });
    }) as unknown as typeof Intl.DateTimeFormat);
    const { calls } = mockApi({
      "GET /api/me": { body: me({ onboarded: false }) },
      "PATCH /api/me": { body: me({ default_region: "BR", timezone: "America/Sao_Paulo", language: "pt" }) },
    });
    renderWithApp(<OnboardingPage user={me({ onboarded: false })} />, { path: "/welcome" });
    await userEvent.click(await screen.findByRole("button", { name: /Save and continue|Salvar e continuar/ }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/dashboard"));
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ default_region: "BR", timezone: "America/Sao_Paulo", language: "pt", onboarded: true });
    vi.restoreAllMocks();
  });
});

describe("ImportWizardPage phone check", () => {
  it("proposes the country that reads more numbers, re-reads with it and can accept foreign-only numbers", async () => {
    tokenStore.set("wct_x");
    const phones = (region: string, valid: number, suggestion: unknown) => ({
      region,
      country_name: region,
      checked: 41,
      valid,
      invalid: 41 - valid - 1,
      other_country: 1,
      other_country_examples: [{ row: 41, value: "989318243306", read_as: "+989318243306", country: "IR", country_name: "Iran" }],
      suggestion,
    });
    const preview = (region: string, valid: number, suggestion: unknown) => ({
      import_id: "imp_1", size: 40, encoding: "utf-8", delimiter: ";", has_header: true, header: ["Nome", "Celular"],
      rows: [["Ana", "(11) 91234-5678"]],
      columns: [
        { index: 0, header: "Nome", sample: ["Ana"], suggested: "name" },
        { index: 1, header: "Celular", sample: ["(11) 91234-5678"], suggested: "phone" },
      ],
      suggested_mapping: { "0": "name", "1": "phone" }, default_region: region, row_errors: [],
      phones: phones(region, valid, suggestion),
    });
    const { calls } = mockApi({
      "GET /api/me": { body: me() },
      "POST /api/contacts/imports": { status: 201, body: { import: { import_id: "imp_1" }, upload: null } },
      "GET /api/contacts/imports/imp_1/preview": (_request, url) => ({
        body: url.searchParams.get("region") === "BR" ? preview("BR", 40, null) : preview("US", 0, { region: "BR", country_name: "Brazil", valid: 40 }),
      }),
      "POST /api/contacts/imports/imp_1/start": { status: 202, body: { import_id: "imp_1", status: "queued" } },
      "GET /api/contacts/imports/imp_1": { body: { import_id: "imp_1", status: "queued", filename: "c.csv", progress: 0, rows_read: 0, created: 0, updated: 0, existing: 0, duplicates: 0, invalid: 0, already_opted_out: 0, warnings: 0 } },
    });
    renderWithApp(<ImportWizardPage />, { path: "/contacts/import" });
    await userEvent.upload(screen.getByLabelText("Spreadsheet or CSV file"), new File(["Nome;Celular\n"], "clientes.xlsx"));
    await userEvent.click(screen.getByRole("button", { name: "Upload and preview" }));
    expect(await screen.findByText(/0 of 41 phone numbers/)).toBeInTheDocument();
    expect(screen.getByText(/40 of them are valid read as Brazil/)).toBeInTheDocument();
    expect(screen.getByText(/989318243306 would become \+989318243306, Iran/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Read them as Brazil" }));
    expect(await screen.findByText(/40 of 41 phone numbers in the first rows are valid read as Brazil/)).toBeInTheDocument();
    expect(screen.getByLabelText("Country of the numbers")).toHaveValue("BR");
    await userEvent.click(screen.getByLabelText("Import those as foreign numbers anyway"));
    await userEvent.click(screen.getByRole("button", { name: "Start import" }));
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/start"))).toBe(true));
    expect(calls.find((c) => c.path.endsWith("/start"))!.body).toMatchObject({ default_region: "BR", accept_other_countries: true });
  });
});

describe("ContactsPage in Portuguese", () => {
  it("speaks the account's language, shows the reply behind an opt-out, tag spellings and chosen field columns", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/me": { body: me({ language: "pt", default_region: "BR" }) },
      "GET /api/contacts": {
        body: page([
          contact({ phone: "+5511912345678", name: "Maria da Silva", tags: ["Clientes Loja"], fields: { cidade: "Santos" }, opted_out: true, opted_out_at: 1_764_000_000_000, opted_out_source: "reply", opted_out_reply: "Não quero mais" }),
        ]),
      },
      "GET /api/contacts/tags": { body: { items: [{ tag: "clientes loja", count: 1234, label: "Clientes Loja" }] } },
      "GET /api/contacts/opt-out-reviews": { body: page([{ review_id: "rev_1", phone: "+5511987654321", body: "pare de mandar isso", matched: "pare", language: "pt", status: "open", at: 1_764_000_000_000, decided_at: null }]) },
    });
    renderWithApp(<ContactsPage />, { path: "/contacts" });
    expect(await screen.findByRole("heading", { name: "Contatos" })).toBeInTheDocument();
    expect(await screen.findByTestId("opt-out-reason")).toHaveTextContent(/Descadastrado em .*“Não quero mais”/);
    expect(screen.getByRole("button", { name: /Clientes Loja\s*1[.,\s]234/ })).toBeInTheDocument();
    expect(screen.getByText("“pare de mandar isso”")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("checkbox", { name: "cidade" }));
    expect(screen.getByRole("columnheader", { name: "cidade" })).toBeInTheDocument();
    expect(screen.getByRole("cell", { name: "Santos" })).toBeInTheDocument();
  });
});

describe("OptOutWordCheck", () => {
  it("warns when the message asks for a reply word that does not opt out", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/me": { body: me() },
      "POST /api/contacts/opt-out-words/check": { body: { words: [{ word: "SAIR", active: false, languages: ["pt"] }], warning: "Your message asks people to reply SAIR, but SAIR does not opt anyone out on your account.", languages: ["en"] } },
    });
    renderWithApp(<OptOutWordCheck text="Responda SAIR para sair" />);
    expect(await screen.findByTestId("optout-word-warning", {}, { timeout: 3000 })).toHaveTextContent(/reply SAIR.*a Portuguese word/);
  });
});
