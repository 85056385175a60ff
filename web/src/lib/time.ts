import { currentLocale, tr, trPlural } from "../i18n/current";
import { formatCount } from "./format";

/**
 * The API's timestamps are integers without a stated unit, and both appear
 * (token `expires_at` is in seconds, most `*_at` fields in milliseconds), so
 * anything below 1e11 is read as seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
 */
export function toMs(epoch: number): number {
  return epoch < 1e11 ? epoch * 1000 : epoch;
}

/** "28/11/2026, 14:30" in pt-BR, "11/28/2026, 2:30 PM" in en-US: numeric, short enough for a phone. */
export function formatDateTime(epoch: number | null | undefined, timeZone?: string): string {
  if (!epoch) return "—";
  try {
    return new Intl.DateTimeFormat(currentLocale(), { day: "2-digit", month: "2-digit", year: "numeric", hour: "numeric", minute: "2-digit", timeZone }).format(toMs(epoch));
  } catch {
    return new Date(toMs(epoch)).toLocaleString();
  }
}

export function timeAgo(epoch: number | null | undefined, now = Date.now()): string {
  if (!epoch) return tr("time.never");
  const seconds = Math.round((now - toMs(epoch)) / 1000);
  if (seconds < 5) return tr("time.justNow");
  const count = (value: number) => formatCount(value);
  if (seconds < 60) return tr("time.secondsAgo", { count: count(seconds) });
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return tr("time.minutesAgo", { count: count(minutes) });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return tr("time.hoursAgo", { count: count(hours) });
  return trPlural("time.daysAgo", Math.round(hours / 24));
}
