import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { tokenStore } from "../api/token";
import { mockApi } from "../test/mockApi";
import { renderWithApp } from "../test/render";
import { NumberHealthCard } from "./NumberHealth";

describe("NumberHealthCard", () => {
  it("shows each number's room today, 7-day rates, last warning sign and badge with its reason", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/sessions/health": {
        body: {
          items: [
            { session_id: "ses_1", label: "Shop", phone: "5511987654321", status: "connected", sent_today: 12, daily_limit: 20, daily_room: 8, warmup_day: 1, daily_cap: 200, sent_7d: 1400, failed_7d: 168, failure_rate_7d: 0.12, replies_7d: 9, reply_rate_7d: 0.064, opt_outs_7d: 1, last_signal: { state: "logged_out", at: Date.now() - 3 * 3600_000, reason: null }, badge: "at_risk", badge_reason: "Failures are high: 12% of the last 7 days' messages failed." },
          ],
        },
      },
    });
    renderWithApp(<NumberHealthCard />);
    const row = await screen.findByTestId("number-health");
    expect(row).toHaveTextContent("Shop +5511987654321");
    expect(row).toHaveTextContent("At risk");
    expect(row).toHaveTextContent("Failures are high: 12%");
    expect(row).toHaveTextContent("Today 12 of 20 (warm-up day 1) · last 7 days: 1,400 sent, 12% failed, 6% replied, 1 opt-out");
    expect(row).toHaveTextContent("Last warning sign: logged out 3 h ago");
  });
});
