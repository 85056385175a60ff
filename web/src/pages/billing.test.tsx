import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/token";
import { mockApi } from "../test/mockApi";
import { renderWithApp } from "../test/render";
import { BillingPage } from "./Billing";

afterEach(() => vi.unstubAllGlobals());

const plans = [
  { id: "free", name: "Free", price_monthly_cents: 0, messages_per_month: 100, numbers: 1, purchasable: false },
  { id: "starter", name: "Starter", price_monthly_cents: 2900, messages_per_month: 5000, numbers: 3, purchasable: true },
];

describe("BillingPage", () => {
  it("shows the plan and usage, and starts a checkout for an upgrade", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/billing": {
        body: {
          plan: plans[0],
          status: "active",
          messages: { quota: 100, used: 40, reserved: 10, remaining: 50 },
          numbers: { used: 1, allowed: 1 },
          period: { start: 1, end: 2 },
          next_renewal: 1_800_000_000_000,
          cancel_at_period_end: false,
          grace_ends_at: null,
          has_billing_customer: false,
          sending_allowed: true,
          sending_paused_reason: null,
        },
      },
      "GET /api/billing/plans": { body: { items: plans } },
      "POST /api/billing/checkout": { status: 409, body: { error: { code: "already_subscribed", message: "You already have a subscription.", details: null } } },
    });
    renderWithApp(<BillingPage />, { path: "/billing" });
    expect(await screen.findByTestId("usage")).toHaveTextContent("40 sent + 10 reserved for running campaigns of 100 this period · 50 left");
    expect(screen.getByRole("progressbar", { name: "Messages used this month" })).toHaveAttribute("aria-valuenow", "50");
    expect(screen.queryByRole("button", { name: "Manage billing" })).not.toBeInTheDocument();
    await userEvent.click(await screen.findByRole("button", { name: "Upgrade to Starter" }));
    await waitFor(() => expect(calls.find((c) => c.path === "/api/billing/checkout")?.body).toEqual({ plan: "starter" }));
    expect(await screen.findByText("You already have a subscription.")).toBeInTheDocument();
  });
});
