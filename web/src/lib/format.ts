/** Counts and dates in the user's own format (the browser's locale). */

const counts = new Intl.NumberFormat();

export function formatCount(n: number | null | undefined): string {
  return counts.format(n ?? 0);
}

export function formatPercent(share: number): string {
  return new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 }).format(share);
}

/** "Tue 15 Dec" (with the year when it is not this year's) in `timeZone`. */
export function formatDay(epochMs: number, timeZone?: string, now = Date.now()): string {
  const sameYear = new Date(epochMs).getUTCFullYear() === new Date(now).getUTCFullYear();
  try {
    return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: sameYear ? undefined : "numeric", timeZone }).format(epochMs);
  } catch {
    return new Date(epochMs).toDateString();
  }
}

/** "Tue 15 Dec, 14:30" in `timeZone`. */
export function formatDayTime(epochMs: number, timeZone?: string, now = Date.now()): string {
  try {
    const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", timeZone }).format(epochMs);
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
    return new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", timeZone }).format(epochMs);
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
  const sent = `${formatCount(c.funnel.sent)} of ${formatCount(c.counters.total)} sent`;
  switch (c.status) {
    case "draft":
    case "scheduled":
      return "Nothing sent yet";
    case "preparing":
      return "Preparing the recipient list";
    case "cancelled":
      return `Cancelled — ${sent}`;
    case "paused":
      return `Paused — ${sent}`;
    case "completed": {
      const notSent = c.counters.failed + c.counters.skipped + c.counters.unknown + c.counters.cancelled;
      return notSent > 0 ? `Completed — ${sent} (${formatCount(notSent)} not sent)` : `Completed — ${sent}`;
    }
    default:
      return sent;
  }
}

/** Date and time of an API timestamp (epoch ms, like every `*_at`); "—" when unset. */
export function formatDateTime(epochMs: number | null | undefined, timeZone?: string): string {
  if (!epochMs) return "—";
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone }).format(epochMs);
  } catch {
    return new Date(epochMs).toLocaleString();
  }
}

/** How long ago an API timestamp (epoch ms) was, in short words. */
export function timeAgo(epochMs: number | null | undefined, now = Date.now()): string {
  if (!epochMs) return "never";
  const seconds = Math.round((now - epochMs) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}
