import { currentLocale, tr, trPlural } from "../i18n/current";

/** Counts and dates in the user's own format (the locale i18n chose: see displayLocale). */

export function formatCount(n: number | null | undefined): string {
  try {
    return new Intl.NumberFormat(currentLocale()).format(n ?? 0);
  } catch {
    return String(n ?? 0);
  }
}

export function formatPercent(share: number): string {
  return new Intl.NumberFormat(currentLocale(), { style: "percent", maximumFractionDigits: 0 }).format(share);
}

/** "Tue 15 Dec" (with the year when it is not this year's) in `timeZone`. */
export function formatDay(epochMs: number, timeZone?: string, now = Date.now()): string {
  const sameYear = new Date(epochMs).getUTCFullYear() === new Date(now).getUTCFullYear();
  try {
    return new Intl.DateTimeFormat(currentLocale(), { weekday: "short", day: "numeric", month: "short", year: sameYear ? undefined : "numeric", timeZone }).format(epochMs);
  } catch {
    return new Date(epochMs).toDateString();
  }
}

/** "Tue 15 Dec, 14:30" in `timeZone`. */
export function formatDayTime(epochMs: number, timeZone?: string, now = Date.now()): string {
  try {
    const time = new Intl.DateTimeFormat(currentLocale(), { hour: "numeric", minute: "2-digit", timeZone }).format(epochMs);
    return `${formatDay(epochMs, timeZone, now)}, ${time}`;
  } catch {
    return new Date(epochMs).toLocaleString();
  }
}

/** "14:30" in `timeZone`, with the day when it is not today there. */
export function formatUntil(epochMs: number, timeZone?: string, now = Date.now()): string {
  const day = (t: number) => {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(t);
    } catch {
      return new Date(t).toDateString();
    }
  };
  if (day(epochMs) !== day(now)) return formatDayTime(epochMs, timeZone, now);
  try {
    return new Intl.DateTimeFormat(currentLocale(), { hour: "numeric", minute: "2-digit", timeZone }).format(epochMs);
  } catch {
    return new Date(epochMs).toLocaleTimeString();
  }
}

interface CampaignCounts {
  status: string;
  counters: { total: number; failed: number; skipped: number; cancelled: number; unknown: number };
  funnel: { sent: number };
}

/**
 * What a campaign's progress means in words: how many were really sent, never a
 * percentage of "final" outcomes that counts cancelled messages as done.
 */
export function campaignOutcome(c: CampaignCounts): string {
  const sent = tr("outcome.sent", { sent: formatCount(c.funnel.sent), total: formatCount(c.counters.total) });
  switch (c.status) {
    case "draft":
    case "scheduled":
      return tr("outcome.nothingYet");
    case "preparing":
      return tr("outcome.preparing");
    case "cancelled":
      return tr("outcome.cancelled", { sent });
    case "paused":
      return tr("outcome.paused", { sent });
    case "completed": {
      const notSent = c.counters.failed + c.counters.skipped + c.counters.unknown + c.counters.cancelled;
      return notSent > 0 ? tr("outcome.completedNotSent", { sent, notSent: formatCount(notSent) }) : tr("outcome.completed", { sent });
    }
    default:
      return sent;
  }
}

/**
 * The bar beside those words: the share really sent (what the words count), so a
 * cancelled campaign's bar is not full because its unsent messages are "final".
 */
export function sentShare(c: CampaignCounts): number {
  return c.counters.total > 0 ? Math.min(1, c.funnel.sent / c.counters.total) : 0;
}

/** Date and time of an API timestamp (epoch ms, like every `*_at`); "—" when unset.
 * Numeric ("28/11/2026, 14:30" in pt-BR): short enough for a phone. */
export function formatDateTime(epochMs: number | null | undefined, timeZone?: string): string {
  if (!epochMs) return "—";
  try {
    return new Intl.DateTimeFormat(currentLocale(), { day: "2-digit", month: "2-digit", year: "numeric", hour: "numeric", minute: "2-digit", timeZone }).format(epochMs);
  } catch {
    return new Date(epochMs).toLocaleString();
  }
}

/** How long ago an API timestamp (epoch ms) was, in short words. */
export function timeAgo(epochMs: number | null | undefined, now = Date.now()): string {
  if (!epochMs) return tr("time.never");
  const seconds = Math.round((now - epochMs) / 1000);
  if (seconds < 5) return tr("time.justNow");
  if (seconds < 60) return tr("time.secondsAgo", { count: formatCount(seconds) });
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return tr("time.minutesAgo", { count: formatCount(minutes) });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return tr("time.hoursAgo", { count: formatCount(hours) });
  return trPlural("time.daysAgo", Math.round(hours / 24));
}
