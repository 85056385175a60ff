import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/token";
import { AddNumberModal, SessionsPage } from "../pages/Sessions";
import { mockApi, page, session, user } from "../test/mockApi";
import { renderWithApp } from "../test/render";
import { AppShell } from "./AppShell";
import { QrModal } from "./QrModal";

const QR = "data:image/png;base64,iVBORw0KGgo=";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("QrModal", () => {
  it("shows the QR while the number waits, follows it as it rotates, and closes on connected", async () => {
    tokenStore.set("wct_x");
    const onConnected = vi.fn();
    mockApi({
      "GET /api/sessions/ses_1": [
        { body: session({ status: "starting" }) },
        { body: session({ status: "qr_ready" }) },
        { body: session({ status: "qr_ready" }) },
        { body: session({ status: "connected", phone: "447700900123" }) },
      ],
      "GET /api/sessions/ses_1/qr": [
        { body: { data_url: QR + "AAAA", expires_at: 0 } },
        { body: { data_url: QR + "BBBB", expires_at: 0 } },
      ],
      "GET /api/sessions": { body: page([]) },
    });
    renderWithApp(<QrModal sessionId="ses_1" label="Front desk" onClose={() => {}} onConnected={onConnected} />);
    const dialog = await screen.findByRole("dialog", { name: "Link “Front desk”" });
    await within(dialog).findByText("Starting WhatsApp Web…", {}, { timeout: 3000 });
    const img = await within(dialog).findByRole("img", { name: "QR code to scan with WhatsApp" }, { timeout: 4000 });
    expect(img.getAttribute("src")).toBe(QR + "AAAA");
    await waitFor(() => expect(img.getAttribute("src")).toBe(QR + "BBBB"), { timeout: 4000 });
    await waitFor(() => expect(onConnected).toHaveBeenCalledTimes(1), { timeout: 5000 });
  }, 15_000);

  it("explains a state that needs action, with its reason", async () => {
    tokenStore.set("wct_x");
    mockApi({ "GET /api/sessions/ses_1": { body: session({ status: "qr_expired", last_error: "nobody scanned within 2 minutes" }) } });
    renderWithApp(<QrModal sessionId="ses_1" label="Front desk" onClose={() => {}} onConnected={() => {}} onRestart={() => {}} />);
    expect(await screen.findByText("Reason: nobody scanned within 2 minutes")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Restart" })).toBeInTheDocument();
  });
});

describe("AddNumberModal", () => {
  it("shows the API's validation message at the field", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "POST /api/sessions": {
        status: 422,
        body: { error: { code: "validation_failed", message: "The request body is not valid.", details: [{ loc: ["label"], msg: "String should have at least 1 character", type: "string_too_short" }] } },
      },
    });
    renderWithApp(<AddNumberModal onClose={() => {}} onCreated={() => {}} />);
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    const input = screen.getByLabelText("Name for this number");
    await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"));
    expect(input).toHaveAccessibleDescription(/Please fill this in/);
  });

  it("says clearly when there is no capacity for another number", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "POST /api/sessions": {
        status: 409,
        body: { error: { code: "no_capacity", message: "No machine has room for another number right now.", details: { online_agents: 0 } } },
      },
    });
    renderWithApp(<AddNumberModal onClose={() => {}} onCreated={() => {}} />);
    await userEvent.type(screen.getByLabelText("Name for this number"), "Till 2");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("No room for another number right now");
    expect(alert).toHaveTextContent("No machine has room for another number right now.");
  });
});

describe("SessionsPage", () => {
  it("lists numbers with their state and reason, and deletes after confirmation", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/sessions": {
        body: page([
          session({ session_id: "ses_1", label: "Front desk", status: "connected", phone: "447700900123" }),
          session({
            session_id: "ses_2",
            label: "Back office",
            status: "logged_out",
            last_error: "logged out from the phone",
            history: [
              { state: "connected", at: 1_700_000_000_000, reason: null },
              { state: "logged_out", at: 1_700_000_100_000, reason: "logged out from the phone" },
            ],
          }),
        ]),
      },
      "DELETE /api/sessions/ses_2": { status: 204 },
    });
    renderWithApp(<SessionsPage />, { path: "/sessions" });
    const list = await screen.findByRole("list", { name: "Your numbers" });
    const card = (label: string) => within(within(list).getByRole("heading", { name: label }).closest("li")!);
    expect(card("Front desk").getByText("Connected")).toBeInTheDocument();
    expect(card("Back office").getAllByText("Logged out")[0]).toHaveClass("rounded-full");
    expect(card("Back office").getByText("Reason: logged out from the phone")).toBeInTheDocument();
    const history = card("Back office").getByText("History").closest("details")!;
    expect(within(history).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      expect.stringMatching(/^Logged out .* · logged out from the phone$/),
      expect.stringMatching(/^Connected /),
    ]);
    await userEvent.click(screen.getByRole("button", { name: "Delete Back office" }));
    const confirm = screen.getByRole("dialog", { name: "Delete “Back office”?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Delete number" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === "/api/sessions/ses_2")).toBe(true));
    expect(await screen.findByText("“Back office” was deleted.")).toBeInTheDocument();
  });

  it("loads the next page of a long list with its cursor", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/sessions": (_r, url) =>
        url.searchParams.get("cursor") === "c2"
          ? { body: page([session({ session_id: "ses_2", label: "Second", status: "connected" })]) }
          : { body: { items: [session({ session_id: "ses_1", label: "First", status: "connected" })], next_cursor: "c2" } },
    });
    renderWithApp(<SessionsPage />, { path: "/sessions" });
    await userEvent.click(await screen.findByRole("button", { name: "Load more numbers" }));
    expect(await screen.findByText("Second")).toBeInTheDocument();
    expect(screen.getByText("First")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more numbers" })).toBeNull();
    expect(calls.some((c) => c.url.searchParams.get("cursor") === "c2")).toBe(true);
  });

  it("has loading, empty and error states", async () => {
    tokenStore.set("wct_x");
    mockApi({ "GET /api/sessions": [{ status: 500, body: "oops" }, { body: page([]) }] });
    renderWithApp(<SessionsPage />, { path: "/sessions" });
    expect(screen.getByText("Loading your numbers…")).toBeInTheDocument();
    expect(await screen.findByText("Could not load your numbers.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("No numbers yet")).toBeInTheDocument();
  });
});

describe("AppShell", () => {
  const routes = (role: "user" | "admin", unread: unknown[]) => ({
    "GET /api/me": { body: { ...user, role } },
    "GET /api/notifications": (_r: Request, url: URL) => ({ body: page(url.searchParams.get("unread") === "true" ? unread : []) }),
    "POST /api/notifications/not_1/read": { body: { ...(unread[0] as object), read_at: 1 } },
    "POST /api/auth/logout": { status: 204 },
  });

  it("shows Admin only to admins", async () => {
    tokenStore.set("wct_x");
    mockApi(routes("user", []));
    const { unmount } = renderWithApp(<AppShell />, { path: "/dashboard" });
    await screen.findAllByText("Ana Lima");
    expect(screen.queryByRole("link", { name: "Admin" })).toBeNull();
    unmount();
    vi.unstubAllGlobals();
    mockApi(routes("admin", []));
    renderWithApp(<AppShell />, { path: "/dashboard" });
    expect(await screen.findByRole("link", { name: "Admin" })).toBeInTheDocument();
  });

  it("has a notifications bell that marks notices read", async () => {
    tokenStore.set("wct_x");
    const notice = { notification_id: "not_1", kind: "session", title: "Number offline", body: "Front desk lost its link.", session_id: "ses_1", campaign_id: null, created_at: Date.now(), read_at: null };
    const { calls } = mockApi(routes("user", [notice]));
    renderWithApp(<AppShell />, { path: "/dashboard" });
    const bell = await screen.findByRole("button", { name: "Notifications, 1 unread" });
    await userEvent.click(bell);
    const panel = screen.getByRole("region", { name: "Unread notifications" });
    expect(within(panel).getByText("Front desk lost its link.")).toBeInTheDocument();
    await userEvent.click(within(panel).getByRole("button", { name: "Mark read: Number offline" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/notifications/not_1/read")).toBe(true));
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("region", { name: "Unread notifications" })).toBeNull();
    expect(bell).toHaveFocus();
  });

  it("signs out: revokes the token on the server and forgets it", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi(routes("user", []));
    renderWithApp(<AppShell />, { path: "/dashboard" });
    await userEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(tokenStore.get()).toBeNull());
    expect(calls.find((c) => c.path === "/api/auth/logout")?.auth).toBe("Bearer wct_x");
    act(() => {});
  });
});
