import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Campaign } from "../../api/types";
import { setCurrent } from "../../i18n/current";
import { formatUntil } from "../../lib/format";
import { NumberStates, numberStateWords } from "./NumberStates";

afterEach(() => setCurrent("en", "en-US"));

const STATES = ["sending", "waiting_gap", "daily_cap", "warmup_limit", "quiet_hours", "offline", "backing_off", "other_campaign", "paused", "scheduled", "preparing", "done", "idle"];

function campaignWith(numbers: { session_id: string; label: string | null; state: string; until: number | null; detail: string | null }[], status = "paused") {
  return { campaign_id: "cmp_1", status, timezone: "America/Sao_Paulo", numbers } as unknown as Campaign;
}

describe("the sending numbers of a campaign", () => {
  it("says just “Paused” in a paused number's badge; the alert above says why", () => {
    const resume = Date.now() + 3 * 3600_000;
    render(
      <NumberStates
        campaign={campaignWith([
          { session_id: "ses_1", label: "Shop phone", state: "paused", until: null, detail: "needs_license" },
          { session_id: "ses_2", label: "Second phone", state: "paused", until: resume, detail: "paused_by_user" },
        ])}
      />,
    );
    const rows = within(screen.getByTestId("number-states")).getAllByRole("listitem");
    expect(rows.map((row) => within(row).getByTestId("number-state").textContent)).toEqual(["Paused", "Paused"]);
    // No pause sentence repeated per number; a set resume time is plain text beside the badge.
    expect(screen.queryByText(/licence key/)).toBeNull();
    expect(within(rows[0]!).queryByTestId("number-state-detail")).toBeNull();
    expect(within(rows[1]!).getByTestId("number-state-detail")).toHaveTextContent(`Resumes at ${formatUntil(resume, "America/Sao_Paulo")}`);
  });

  it("keeps every badge short in each language and puts the rest in wrapped text", () => {
    const until = Date.now() + 3600_000;
    for (const [lang, locale] of [["en", "en-US"], ["pt-BR", "pt-BR"], ["es", "es-MX"]] as const) {
      setCurrent(lang, locale);
      for (const state of STATES) {
        const words = numberStateWords({ state, until, detail: state === "offline" ? "logged_out" : state === "other_campaign" ? "Black Friday sale for the whole summer" : "needs_license" }, "America/Sao_Paulo");
        // A pill of about 30 characters fits next to a number's name at 375 px.
        expect(words.label.length, `${lang} ${state}: ${words.label}`).toBeLessThanOrEqual(30);
        expect(words.text).toBeTruthy();
      }
    }
    setCurrent("pt-BR", "pt-BR");
    render(<NumberStates campaign={campaignWith([{ session_id: "ses_1", label: "Loja", state: "paused", until: null, detail: "quota_exhausted" }])} />);
    expect(screen.getByTestId("number-state")).toHaveTextContent(/^Pausado$/);
  });

  it("keeps the whole sentence for one-line places (dashboard, campaign list)", () => {
    render(<NumberStates compact campaign={campaignWith([{ session_id: "ses_1", label: "Shop phone", state: "paused", until: null, detail: "quota_exhausted" }])} />);
    expect(screen.getByText(/^Paused: This month's message quota is used up/)).toBeInTheDocument();
    expect(screen.queryByTestId("number-state")).toBeNull();
  });
});
