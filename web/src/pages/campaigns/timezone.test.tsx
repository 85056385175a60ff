import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { tokenStore } from "../../api/token";
import { mockApi, page, session, user } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { CampaignEditorPage } from "./CampaignEditor";
import { localInput } from "./editor/draft";
import { tomorrowMorning, zoneLabel } from "./editor/ScheduleSection";

describe("a new campaign's time zone", () => {
  it("defaults to the account's zone, shows its name, and a later start begins tomorrow morning there", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      // The browser runs in UTC; the account says São Paulo.
      "GET /api/me": { body: { ...user, default_region: "BR", timezone: "America/Sao_Paulo" } },
      "GET /api/contacts": { body: page([]) },
      "GET /api/contacts/tags": { body: { items: [] } },
      "GET /api/sessions": { body: page([session({ status: "connected", phone: "5511900000001" })]) },
      "POST /api/campaigns": { status: 201, body: { campaign_id: "cmp_7", name: "x", status: "draft", template: "Oi", audience: { all: true, tags: [] }, session_ids: ["ses_1"], timezone: "America/Sao_Paulo", pacing: { min_gap_s: 20, max_gap_s: 60, daily_cap: 200, warmup: true, quiet_start: null, quiet_end: null }, counters: { total: 0, pending: 0, leased: 0, failed: 0, skipped: 0, cancelled: 0, unknown: 0, replies: 0 }, funnel: { sent: 0, delivered: 0, read: 0 }, progress: 0, created_at: 1, has_media: false } },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/new", route: "/campaigns/new" });

    expect(await screen.findByTestId("campaign-timezone")).toHaveTextContent("America/Sao_Paulo");
    expect(screen.getByTestId("campaign-timezone")).toHaveTextContent(zoneLabel("America/Sao_Paulo"));
    // Quiet hours and the deadline say which clock they follow.
    expect(screen.getByLabelText(/Quiet hours/)).toBeInTheDocument();
    expect(screen.getByText(/no sending at night, America\/Sao_Paulo time/)).toBeInTheDocument();

    await userEvent.click(screen.getByLabelText("At a date and time"));
    const zone = screen.getByLabelText("Time zone") as HTMLSelectElement;
    expect(zone.value).toBe("America/Sao_Paulo");
    const start = screen.getByLabelText("Date and time") as HTMLInputElement;
    expect(start.value).toBe(tomorrowMorning("America/Sao_Paulo"));
    expect(start.value).toMatch(/T10:00$/);

    // What is saved is the account's zone with that local time, not the browser's UTC.
    await userEvent.type(screen.getByLabelText("Message"), "Oi");
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/campaigns")).toBe(true), { timeout: 3000 });
    const body = calls.find((c) => c.method === "POST" && c.path === "/api/campaigns")!.body as { timezone: string; send_at: string };
    expect(body.timezone).toBe("America/Sao_Paulo");
    expect(body.send_at).toBe(tomorrowMorning("America/Sao_Paulo"));
  });

  it("takes tomorrow's date in the campaign's zone, not the browser's", () => {
    // 02:00 UTC on 28 Nov is still 27 Nov (23:00) in São Paulo: tomorrow there is the 28th.
    const now = Date.UTC(2026, 10, 28, 2, 0);
    expect(tomorrowMorning("America/Sao_Paulo", now)).toBe("2026-11-28T10:00");
    expect(tomorrowMorning("Asia/Kolkata", now)).toBe("2026-11-29T10:00");
    expect(localInput(now, "America/Sao_Paulo")).toBe("2026-11-27T23:00");
  });
});
