import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../../api/token";
import { contact, mockApi, page } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { ContactsPage } from "./Contacts";
import { ImportWizardPage, fieldKey } from "./ImportWizard";

afterEach(() => vi.unstubAllGlobals());


const importView = (overrides: Record<string, unknown> = {}) => ({
  import_id: "imp_1",
  filename: "list.csv",
  status: "ready",
  progress: 0,
  rows_read: 0,
  created: 0,
  updated: 0,
  existing: 0,
  duplicates: 0,
  invalid: 0,
  blank: 0,
  already_opted_out: 0,
  opted_out: 0,
  warnings: 0,
  truncated: false,
  tags: [],
  mapping: null,
  mode: null,
  default_region: null,
  delimiter: null,
  encoding: null,
  has_header: null,
  error: null,
  size: 40,
  created_at: 1,
  updated_at: 1,
  started_at: null,
  finished_at: null,
  ...overrides,
});

describe("ContactsPage", () => {
  it("lists contacts with tag counts, searches, and opts a number out by its digits in the path", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/contacts": (_req, url) => ({ body: { items: url.searchParams.get("q") === "mar" ? [contact()] : [contact(), contact({ phone: "+5511999990000", first_name: "João", last_name: null, tags: [] })], next_cursor: url.searchParams.get("cursor") ? null : "c2" } }),
      "GET /api/contacts/tags": { body: { items: [{ tag: "vip", count: 1234 }] } },
      "POST /api/contacts/447700900123/opt-out": { body: { phone: "+447700900123", opted_out: true, at: 1, source: "web" } },
    });
    renderWithApp(<ContactsPage />, { path: "/contacts" });
    expect(await screen.findByText("Maria Silva")).toBeInTheDocument();
    expect(screen.getByText("João")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /vip\s*1,234/ })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Load more contacts" })).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText("Search"), "mar");
    await waitFor(() => expect(screen.queryByText("João")).not.toBeInTheDocument());
    expect(calls.some((c) => c.url.searchParams.get("q") === "mar")).toBe(true);

    await userEvent.click(await screen.findByRole("button", { name: "Opt out +447700900123" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/contacts/447700900123/opt-out")).toBe(true));
  });

  it("downloads everything held about one contact from its dialog (a data access request)", async () => {
    tokenStore.set("wct_x");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:data"), revokeObjectURL: vi.fn() }));
    const { calls } = mockApi({
      "GET /api/contacts": { body: page([contact()]) },
      "GET /api/contacts/tags": { body: { items: [] } },
      "GET /api/contacts/447700900123/data": { body: { contact: contact(), conversations: [] } },
    });
    renderWithApp(<ContactsPage />, { path: "/contacts" });
    await userEvent.click(await screen.findByRole("button", { name: "Edit +447700900123" }));
    const dialog = screen.getByRole("dialog", { name: "Edit +447700900123" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Download their data" }));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/contacts/447700900123/data")).toBe(true));
  });

  it("shows the API's validation message at the phone field when adding a contact", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/contacts": { body: page([]) },
      "GET /api/contacts/tags": { body: { items: [] } },
      "POST /api/contacts": { status: 422, body: { error: { code: "validation_failed", message: "The request body is not valid.", details: [{ loc: ["body", "phone"], msg: "Value error, not a valid phone number", type: "value_error" }] } } },
    });
    renderWithApp(<ContactsPage />, { path: "/contacts" });
    expect(await screen.findByText("No contacts yet")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Add contact" }));
    const dialog = screen.getByRole("dialog", { name: "Add a contact" });
    await userEvent.type(within(dialog).getByLabelText("Phone"), "123");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add contact" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Phone")).toHaveAccessibleDescription(/Not a valid phone number/));
  });
});

describe("ImportWizardPage", () => {
  it("uploads a small file inline, preselects the suggested mapping, starts and follows the import", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "POST /api/contacts/imports": { status: 201, body: { import: importView(), upload: null } },
      "GET /api/contacts/imports/imp_1/preview": {
        body: {
          import_id: "imp_1",
          size: 40,
          encoding: "utf-8",
          delimiter: ";",
          has_header: true,
          header: ["Telefone", "Nome", "Cidade"],
          rows: [["+447700900123", "Maria", "Porto"]],
          columns: [
            { index: 0, header: "Telefone", sample: ["+447700900123"], suggested: "phone" },
            { index: 1, header: "Nome", sample: ["Maria"], suggested: "first_name" },
            { index: 2, header: "Cidade", sample: ["Porto"], suggested: "field:cidade" },
          ],
          suggested_mapping: { "0": "phone", "1": "first_name", "2": "field:cidade" },
          default_region: "GB",
          row_errors: [],
        },
      },
      "POST /api/contacts/imports/imp_1/start": { status: 202, body: importView({ status: "queued" }) },
      "GET /api/contacts/imports/imp_1": [
        { body: importView({ status: "running", progress: 0.5, rows_read: 1 }) },
        { body: importView({ status: "completed", progress: 1, rows_read: 2, created: 1, invalid: 1 }) },
      ],
    });
    renderWithApp(<ImportWizardPage />, { path: "/contacts/import" });
    const file = new File(["Telefone;Nome;Cidade\n+447700900123;Maria;Porto\n"], "list.csv", { type: "text/csv" });
    await userEvent.upload(screen.getByLabelText("Spreadsheet or CSV file"), file);
    await userEvent.click(screen.getByRole("button", { name: "Upload and preview" }));
    expect(await screen.findByText(/Encoding/)).toHaveTextContent("semicolon");
    const created = calls.find((c) => c.path === "/api/contacts/imports")!.body as { filename: string; content_base64: string };
    expect(created.filename).toBe("list.csv");
    expect(atob(created.content_base64)).toContain("Telefone;Nome");
    expect(screen.getByLabelText("Import Telefone as")).toHaveValue("phone");
    expect(screen.getByLabelText("Import Cidade as")).toHaveValue("field:cidade");
    await userEvent.selectOptions(screen.getByLabelText("Import Nome as"), "name");
    await userEvent.type(screen.getByLabelText("Tags for everyone in this file"), "Lisbon, vip");
    await userEvent.click(screen.getByRole("button", { name: "Start import" }));
    expect(await screen.findByText("list.csv: Importing", {}, { timeout: 3000 })).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/contacts/imports/imp_1/start")!.body).toEqual({
      mapping: { "0": "phone", "1": "name", "2": "field:cidade" },
      tags: ["Lisbon", "vip"],
      mode: "add",
      default_region: "GB",
    });
    expect(await screen.findByText("list.csv: Finished", {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Download error report" })).toBeInTheDocument();
  }, 15_000);

  it("sends a file over 1 MB to the presigned POST with upload progress", async () => {
    tokenStore.set("wct_x");
    const puts: { method: string; url: string; type: string | null; key: string | null; size: number }[] = [];
    class FakeXhr {
      upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      status = 0;
      private url = "";
      private method = "";
      open(method: string, url: string) {
        this.method = method;
        this.url = url;
      }
      send(body: FormData) {
        const file = body.get("file") as Blob;
        puts.push({ method: this.method, url: this.url, type: body.get("Content-Type") as string, key: body.get("key") as string, size: file.size });
        this.upload.onprogress?.({ lengthComputable: true, loaded: file.size / 2, total: file.size });
        setTimeout(() => {
          this.status = 200;
          this.onload?.();
        }, 300);
      }
    }
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const { calls } = mockApi({
      "POST /api/contacts/imports": { status: 201, body: { import: importView({ status: "awaiting_upload" }), upload: { url: "http://s3.local/up", method: "POST", fields: { key: "imports/u/imp_1/upload.csv", policy: "p" }, expires_in: 900, max_bytes: 50_000_000 } } },
      "GET /api/contacts/imports/imp_1/preview": { status: 422, body: { error: { code: "not_csv", message: "The file is not text.", details: null } } },
    });
    renderWithApp(<ImportWizardPage />, { path: "/contacts/import" });
    await userEvent.upload(screen.getByLabelText("Spreadsheet or CSV file"), new File([new Uint8Array(1_200_000)], "big.csv", { type: "text/csv" }));
    await userEvent.click(screen.getByRole("button", { name: "Upload and preview" }));
    expect(await screen.findByText("Uploading… 50%")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "50");
    expect(await screen.findByText(/does not look like a CSV or Excel file/)).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/contacts/imports")!.body).toEqual({ filename: "big.csv" });
    expect(puts).toEqual([{ method: "POST", url: "http://s3.local/up", type: "text/csv", key: "imports/u/imp_1/upload.csv", size: 1_200_000 }]);
  });

  it("makes custom field keys the way the API does", () => {
    expect(fieldKey("Cidade Natal", 0)).toBe("cidade_natal");
    expect(fieldKey("Código", 1)).toBe("codigo");
    expect(fieldKey("🎉", 4)).toBe("column_5");
  });
});
