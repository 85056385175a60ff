import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/token";
import { mockApi, page, session } from "../test/mockApi";
import { renderWithApp } from "../test/render";
import { AdminPage } from "./Admin";
import { SessionsPage } from "./Sessions";

afterEach(() => vi.unstubAllGlobals());

const card = (label: string) => within(screen.getByRole("heading", { name: label }).closest("li")!);

describe("Numbers page: licence key and reasons", () => {
  it("sets, shows masked, and removes a number's licence key", async () => {
    tokenStore.set("wct_x");
    let current = session({ status: "connected", phone: "+14155550000" });
    const { calls } = mockApi({
      "GET /api/sessions": () => ({ body: page([current]) }),
      "PUT /api/sessions/ses_1/license": (_r) => {
        current = session({
          status: "connected",
          phone: "+14155550000",
          license: { set: true, masked: "••••AB12", updated_at: Date.now() },
        });
        return { body: current };
      },
      "DELETE /api/sessions/ses_1/license": () => {
        current = session({ status: "connected", phone: "+14155550000" });
        return { body: current };
      },
    });
    // The notice's link target opens this number's licence panel.
    renderWithApp(<SessionsPage />, { path: "/sessions/ses_1", route: "/sessions/:sessionId" });
    await screen.findByRole("heading", { name: "Front desk" });
    const panel = card("Front desk").getByTestId("license-panel");
    expect(panel).toHaveAttribute("open");
    expect(within(panel).getByText(/people who have chatted with it before/)).toBeInTheDocument();
    expect(within(panel).getByRole("link", { name: "https://get.openwa.dev/l/14155550000" })).toBeInTheDocument();

    await userEvent.type(within(panel).getByLabelText("Licence key"), "LIC-8c1f-AB12");
    await userEvent.click(within(panel).getByRole("button", { name: "Save key" }));
    await waitFor(() =>
      expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ license_key: "LIC-8c1f-AB12" }),
    );
    expect(await screen.findByText(/Licence key saved for “Front desk”/)).toBeInTheDocument();
    expect(await within(panel).findByText("set (••••AB12)")).toBeInTheDocument();
    expect(screen.queryByText(/LIC-8c1f/)).toBeNull();

    await userEvent.click(within(panel).getByRole("button", { name: "Remove key" }));
    expect(await within(panel).findByText("none")).toBeInTheDocument();
  });

  it("says why a number failed or is restricted, in words", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/sessions": {
        body: page([
          session({
            session_id: "ses_1",
            label: "Shop",
            status: "failed",
            status_reason: "whatsapp_unreachable",
            status_reason_text: "This machine cannot reach WhatsApp Web (network or DNS problem).",
            last_error: "net::ERR_NAME_NOT_RESOLVED",
          }),
          session({ session_id: "ses_2", label: "Clinic", status: "restricted", restricted_until: Date.UTC(2030, 0, 2, 9) }),
        ]),
      },
    });
    renderWithApp(<SessionsPage />, { path: "/sessions" });
    await screen.findByRole("heading", { name: "Shop" });
    expect(card("Shop").getByText("This machine cannot reach WhatsApp Web (network or DNS problem).")).toBeInTheDocument();
    expect(card("Shop").getByText("Details: net::ERR_NAME_NOT_RESOLVED")).toBeInTheDocument();
    expect(card("Clinic").getByText("Limited")).toBeInTheDocument();
    expect(card("Clinic").getByText(/not letting this number start new chats until .*2030/)).toBeInTheDocument();
  });
});

describe("Admin: agents", () => {
  it("shows each agent's OpenWA version and deletes an agent after confirmation", async () => {
    tokenStore.set("wct_x");
    const agent = {
      agent_id: "agt_1",
      name: "mac-mini-1",
      capacity: 10,
      online: true,
      last_heartbeat_at: Date.now(),
      version: "0.3.0",
      openwa_version: "4.76.0",
      created_at: 1_700_000_000_000,
    };
    const { calls } = mockApi({
      "GET /api/admin/agents": { body: page([agent]) },
      "DELETE /api/admin/agents/agt_1": { status: 204 },
    });
    renderWithApp(<AdminPage />, { path: "/admin" });
    const row = (await screen.findByRole("rowheader", { name: /mac-mini-1/ })).closest("tr")!;
    expect(within(row).getByText("4.76.0")).toBeInTheDocument();
    expect(screen.getByRole("columnheader", { name: "OpenWA" })).toBeInTheDocument();
    await userEvent.click(within(row).getByRole("button", { name: "Delete mac-mini-1" }));
    const confirm = screen.getByRole("dialog", { name: "Delete the agent “mac-mini-1”?" });
    await userEvent.click(within(confirm).getByRole("button", { name: "Delete agent" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === "/api/admin/agents/agt_1")).toBe(true));
    expect(await screen.findByText("Agent “mac-mini-1” was deleted.")).toBeInTheDocument();
  });
});
