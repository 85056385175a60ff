/**
 * The API's timestamps are integers without a stated unit, and both appear
 * (token `expires_at` is in seconds, most `*_at` fields in milliseconds), so
 * anything below 1e11 is read as seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
 */
export function toMs(epoch: number): number {
  return epoch < 1e11 ? epoch * 1000 : epoch;
}

export function formatDateTime(epoch: number | null | undefined, timeZone?: string): string {
  if (!epoch) return "—";
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone }).format(toMs(epoch));
  } catch {
    return new Date(toMs(epoch)).toLocaleString();
  }
}

export function timeAgo(epoch: number | null | undefined, now = Date.now()): string {
  if (!epoch) return "never";
  const seconds = Math.round((now - toMs(epoch)) / 1000);
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}
