import type { Forecast, ForecastDay, Limit } from "../api/planningApi";
import { formatCount, formatDay, formatDayTime } from "./format";
import { currentLocale, tr, trPlural } from "../i18n/current";

/** "YYYY-MM-DD" of `epochMs` in `timeZone`. */
export function localDate(epochMs: number, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(epochMs);
  } catch {
    return new Date(epochMs).toISOString().slice(0, 10);
  }
}

function addDays(ymd: string, n: number): string {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + n)).toISOString().slice(0, 10);
}

/** Noon UTC of a local date: formatting it in UTC gives that date's own weekday and day. */
const noonOf = (ymd: string) => {
  const [y, m, d] = ymd.split("-").map(Number);
  return Date.UTC(y!, m! - 1, d!, 12);
};

/** "today", "tomorrow", "Wed" (within a week) or "Tue 15 Dec". */
export function dayLabel(ymd: string, now: number, timeZone: string): string {
  const today = localDate(now, timeZone);
  if (ymd === today) return tr("forecast.today");
  if (ymd === addDays(today, 1)) return tr("forecast.tomorrow");
  const weekday = new Intl.DateTimeFormat(currentLocale(), { weekday: "short", timeZone: "UTC" }).format(noonOf(ymd));
  for (let i = 2; i < 7; i++) if (ymd === addDays(today, i)) return weekday;
  return formatDay(noonOf(ymd), "UTC", now);
}

export function durationWords(seconds: number): string {
  if (seconds < 60) return tr("duration.underMinute");
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return tr("duration.minutes", { minutes });
  const hours = Math.round(seconds / 3600);
  if (hours < 36) return trPlural("duration.hours", hours);
  return trPlural("duration.days", Math.round(seconds / 86400));
}

export const LIMIT_WORDS: Record<Limit, string> = {
  get gaps() { return tr("limit.gaps"); },
  get daily_cap() { return tr("limit.daily_cap"); },
  get warmup() { return tr("limit.warmup"); },
  get quiet_hours() { return tr("limit.quiet_hours"); },
};

/** What holds most days back, if anything but the gaps. */
export function mainLimit(days: ForecastDay[]): Limit | null {
  const tally = new Map<Limit, number>();
  for (const day of days.slice(0, -1)) for (const n of day.numbers) if (n.limit) tally.set(n.limit, (tally.get(n.limit) ?? 0) + 1);
  let best: Limit | null = null;
  for (const [limit, count] of tally) if (!best || count > tally.get(best)!) best = limit;
  return best;
}

/**
 * The forecast in one sentence: "About 13 days: 20 today, 40 tomorrow, 80 Wed …
 * 36 on Tue 15 Dec, finishing Tue 15 Dec, 14:30." Dates in the campaign's zone.
 * `launched`: the forecast is of a campaign already sending (what is left of it).
 */
export function forecastWords(f: Forecast, now: number, launched = false): string {
  const tz = f.timezone;
  // A launched campaign's forecast counts what is still waiting, not its audience.
  if (f.recipients === 0 || f.first_message_at === null) return tr(launched ? "forecast.nothingLeft" : "forecast.nothing");
  if (f.beyond_horizon || f.finish_at === null) return tr("forecast.beyondYear");
  const span = durationWords((f.finish_at - Math.min(now, f.first_message_at)) / 1000);
  const startsLater = f.first_message_at - now > 3600_000;
  const days = f.days.map((d) => {
    const label = dayLabel(d.date, now, tz);
    const count = formatCount(d.total);
    return label === tr("forecast.today") || label === tr("forecast.tomorrow") ? tr("forecast.countWhen", { count, when: label }) : tr("forecast.countOn", { count, day: label });
  });
  let perDay = "";
  if (days.length > 1) perDay = days.length <= 4 ? days.join(", ") : `${days.slice(0, 3).join(", ")} … ${days.at(-1)}`;
  const parts = [`${span.charAt(0).toUpperCase()}${span.slice(1)}`];
  if (startsLater) parts.push(tr("forecast.starting", { when: formatDayTime(f.first_message_at, tz, now) }));
  const head = parts.join(", ");
  return `${head}${perDay ? `: ${perDay}` : ""}, ${tr("forecast.finishing", { when: formatDayTime(f.finish_at, tz, now) })}.`;
}
