import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../../api/token";
import { mockApi, page, user } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { CampaignDetailPage } from "./CampaignDetail";
import { bodyOf, changesOf, draftOf } from "./editor/draft";

afterEach(() => vi.unstubAllGlobals());

function campaign(overrides: Record<string, unknown> = {}) {
  return {
    campaign_id: "cmp_1",
    name: "Black Friday",
    status: "completed",
    template: "Hi {{first_name|there}}",
    audience: { all: false, tags: ["vip"] },
    on_missing_variable: "block",
    session_ids: ["ses_1"],
    send_at: null,
    timezone: "Europe/Lisbon",
    pacing: { min_gap_s: 20, max_gap_s: 60, daily_cap: 200, warmup: true, quiet_start: null, quiet_end: null },
    counters: { total: 50, pending: 0, leased: 0, sent: 10, delivered: 10, read: 20, failed: 0, skipped: 10, unknown: 0, cancelled: 0, replies: 5 },
    funnel: { sent: 40, delivered: 30, read: 20, replied: 5 },
    progress: 1,
    eta_s: null,
    pause_reason: null,
    has_media: false,
    created_at: 1_700_000_000_000,
    launched_at: 1_700_000_100_000,
    completed_at: 1_700_000_900_000,
    follow_up: null,
    frequency_cap_hours: 24,
    frequency_capped: 1234,
    ...overrides,
  };
}

const routes = {
  "GET /api/me": { body: { ...user, timezone: "Europe/Lisbon" } },
  "GET /api/campaigns/cmp_1/messages": { body: page([]) },
  "GET /api/campaigns/cmp_1/forecast": { status: 404, body: { error: { code: "not_found", message: "No", details: null } } },
  "GET /api/campaigns/cmp_1/follow-up": { body: { not_read: 20, not_replied: 35, read_not_replied: 15, exact: true } },
};

describe("follow-ups and duplicates", () => {
  it("follows up the recipients the user picks, after N days, and opens the new draft in the editor", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      ...routes,
      "GET /api/campaigns/cmp_1": { body: campaign() },
      "POST /api/campaigns/cmp_1/follow-up": { status: 201, body: campaign({ campaign_id: "cmp_2", status: "draft", template: "", follow_up: { campaign_id: "cmp_1", kind: "read_not_replied", after_days: 3 } }) },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    // The campaign says how many the frequency cap left out, with the Intl number.
    expect(await screen.findByTestId("frequency-capped")).toHaveTextContent("1,234 skipped: messaged in the last 24 h");
    await userEvent.click(screen.getByRole("button", { name: "Follow up" }));
    const dialog = await screen.findByRole("dialog", { name: "Follow up “Black Friday”" });
    expect(await within(dialog).findByTestId("follow-up-count")).toHaveTextContent("35 people right now");
    await userEvent.click(within(dialog).getByRole("radio", { name: /Those who read it but did not reply/ }));
    expect(within(dialog).getByTestId("follow-up-count")).toHaveTextContent("15 people right now");
    const days = within(dialog).getByLabelText("Send after (days)");
    await userEvent.clear(days);
    await userEvent.type(days, "3");
    await userEvent.click(within(dialog).getByRole("button", { name: "Write the follow-up" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/campaigns/cmp_2/edit"));
    const post = calls.find((c) => c.method === "POST" && c.path === "/api/campaigns/cmp_1/follow-up")!;
    expect(post.body).toEqual({ kind: "read_not_replied", after_days: 3 });
  });

  it("offers no follow-up before anything was sent, but duplicates any campaign into the editor", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      ...routes,
      "GET /api/campaigns/cmp_1": { body: campaign({ status: "draft", funnel: { sent: 0, delivered: 0, read: 0, replied: 0 }, frequency_capped: 0 }) },
      "POST /api/campaigns/cmp_1/duplicate": { status: 201, body: campaign({ campaign_id: "cmp_3", status: "draft", name: "Black Friday (copy)" }) },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    await userEvent.click(await screen.findByRole("button", { name: "Duplicate" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/campaigns/cmp_3/edit"));
    expect(screen.queryByRole("button", { name: "Follow up" })).not.toBeInTheDocument();
    expect(screen.queryByTestId("frequency-capped")).not.toBeInTheDocument();
    expect(calls.filter((c) => c.path === "/api/campaigns/cmp_1/duplicate")).toHaveLength(1);
  });

  it("keeps the frequency cap in the composer: 24 h for a new campaign, sent only when changed", () => {
    const fresh = draftOf(undefined, "UTC");
    expect(fresh.frequencyCap).toBe("24");
    expect(bodyOf(fresh).frequency_cap_hours).toBe(24);
    const saved = draftOf(campaign({ frequency_cap_hours: 0 }) as never, "UTC");
    expect(saved.frequencyCap).toBe("0");
    expect(changesOf(saved, { ...saved, name: "Other" })).toEqual({ name: "Other" });
    expect(changesOf(saved, { ...saved, frequencyCap: "48" })).toEqual({ frequency_cap_hours: 48 });
  });
});
