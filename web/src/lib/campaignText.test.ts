import { describe, expect, it } from "vitest";
import { changesOf, draftOf } from "../pages/campaigns/editor/draft";
import type { Forecast } from "../api/planningApi";
import { campaignOutcome, formatCount, formatDayTime, formatUntil } from "./format";
import { durationWords, forecastWords, mainLimit } from "./forecastWords";
import { checkVariables, templateVariables } from "./templateVars";
import { parseWhatsApp, plainText } from "./whatsapp";

describe("WhatsApp formatting", () => {
  it("reads bold, italic, strike and monospace, nested, as WhatsApp does", () => {
    expect(parseWhatsApp("Hi *Maria*, _today_ ~only~ ```50% off```!")).toEqual([
      "Hi ",
      { style: "bold", children: ["Maria"] },
      ", ",
      { style: "italic", children: ["today"] },
      " ",
      { style: "strike", children: ["only"] },
      " ",
      { style: "mono", children: ["50% off"] },
      "!",
    ]);
    expect(parseWhatsApp("*_both_*")).toEqual([{ style: "bold", children: [{ style: "italic", children: ["both"] }] }]);
  });

  it("leaves markers alone where WhatsApp does: inside words, next to spaces, across lines, unclosed", () => {
    for (const text of ["2*3*4", "a * b * c", "*not\nbold*", "snake_case_name", "*open", "** empty"]) {
      expect(parseWhatsApp(text)).toEqual([text]);
    }
    expect(plainText(parseWhatsApp("```a *b*\nc```"))).toBe("a *b*\nc"); // monospace is literal and may span lines
  });
});

describe("template variables", () => {
  it("finds variables with and without fallbacks, and flags unknown and malformed ones", () => {
    expect(templateVariables("{{first_name|there}} {{city}} {{city|Porto}}")).toEqual([
      { name: "first_name", hasFallback: true },
      { name: "city", hasFallback: false },
    ]);
    expect(checkVariables("Hi {{first_name}}, {{citty}} {{first name}} {{city|x}}", ["city"])).toEqual({
      unknown: ["citty"],
      required: ["first_name", "citty"],
      malformed: ["{{first name}}"],
    });
  });
});

describe("campaign words", () => {
  const c = (status: string, sent: number, total: number, failed = 0) => ({
    status,
    counters: { total, failed, skipped: 0, cancelled: status === "cancelled" ? total - sent : 0, unknown: 0 },
    funnel: { sent },
  });

  it("says how many were really sent, in the user's number format", () => {
    expect(campaignOutcome(c("cancelled", 20, 1956))).toBe(`Cancelled — 20 of ${formatCount(1956)} sent`);
    expect(formatCount(1956)).toBe((1956).toLocaleString());
    expect(campaignOutcome(c("running", 5, 10))).toBe("5 of 10 sent");
    expect(campaignOutcome(c("completed", 9, 10, 1))).toBe("Completed — 9 of 10 sent (1 not sent)");
    expect(campaignOutcome(c("draft", 0, 0))).toBe("Nothing sent yet");
  });

  it("sends only what changed when a started campaign is edited", () => {
    const base = draftOf(undefined, "Europe/Lisbon");
    expect(changesOf(base, { ...base })).toEqual({});
    expect(changesOf(base, { ...base, template: "new" })).toEqual({ template: "new" });
    expect(changesOf(base, { ...base, quiet: true })).toEqual({ pacing: { min_gap_s: 20, max_gap_s: 60, daily_cap: 200, warmup: true, quiet_start: "21:00", quiet_end: "08:00" } });
    expect(changesOf(base, { ...base, when: "later", sendAt: "2030-01-02T09:00" })).toEqual({ send_at: "2030-01-02T09:00", timezone: "Europe/Lisbon" });
  });
});

describe("forecast words", () => {
  const now = Date.UTC(2026, 11, 1, 12); // Tue 1 Dec 2026
  const day = (date: string, total: number, limit: "warmup" | "daily_cap" | null) => ({ date, total, numbers: [{ session_id: "ses_1", count: total, limit }] });
  const forecast = (overrides: Partial<Forecast> = {}): Forecast => ({
    recipients: 1956,
    timezone: "America/Sao_Paulo",
    first_message_at: now,
    finish_at: Date.UTC(2026, 11, 15, 17, 30),
    duration_s: 0,
    beyond_horizon: false,
    days: [day("2026-12-01", 20, "warmup"), day("2026-12-02", 40, "warmup"), day("2026-12-03", 80, "warmup"), day("2026-12-04", 160, "warmup"), day("2026-12-15", 36, null)],
    pauses: [],
    numbers: [],
    deadline: null,
    ...overrides,
  });

  it("says how long, what goes out each day and when it finishes, in the campaign's time zone", () => {
    const words = forecastWords(forecast(), now);
    expect(words).toMatch(/^About 14 days: 20 today, 40 tomorrow, 80 on \S+ … 36 on .+, finishing .+\.$/);
    expect(words).toContain(`finishing ${formatDayTime(Date.UTC(2026, 11, 15, 17, 30), "America/Sao_Paulo", now)}`);
    expect(mainLimit(forecast().days)).toBe("warmup");
  });

  it("names a later start, a plan beyond a year and an empty audience", () => {
    const later = Date.UTC(2026, 11, 3, 13);
    expect(forecastWords(forecast({ first_message_at: later, days: [day("2026-12-03", 10, null)], finish_at: later + 600_000 }), now)).toContain(`starting ${formatDayTime(later, "America/Sao_Paulo", now)}`);
    expect(forecastWords(forecast({ beyond_horizon: true, finish_at: null }), now)).toMatch(/More than a year/);
    expect(forecastWords(forecast({ recipients: 0, first_message_at: null }), now)).toMatch(/Nothing to send/);
    // A launched campaign with nothing pending (all sent or failed) is not "an empty audience".
    expect(forecastWords(forecast({ recipients: 0, first_message_at: null }), now, true)).toBe("Nothing is waiting to be sent.");
    expect(durationWords(30)).toBe("less than a minute");
    expect(durationWords(5 * 3600)).toBe("about 5 hours");
  });
});

describe("why a number waits", () => {
  it("names each state in words, with until when in the campaign's time zone", async () => {
    const { numberStateWords } = await import("../pages/campaigns/NumberStates");
    const now = Date.UTC(2026, 11, 1, 12);
    const until = Date.UTC(2026, 11, 2, 0);
    const words = (state: string, detail: string | null = null) => numberStateWords({ state, until, detail }, "America/Sao_Paulo", now).text;
    expect(words("warmup_limit")).toBe(`Warm-up limit reached, resumes at ${formatUntil(until, "America/Sao_Paulo", now)}`);
    expect(words("daily_cap")).toMatch(/^Daily cap reached, resumes at /);
    expect(words("quiet_hours")).toMatch(/^Quiet hours until /);
    expect(words("offline", "logged_out")).toBe("Number offline (logged out): reconnect it on the Numbers page");
    expect(words("paused", "quota_exhausted")).toMatch(/^Paused: This month's message quota is used up/);
    expect(words("other_campaign", "Black Friday")).toBe("Sending an older campaign first (“Black Friday”)");
  });
});
