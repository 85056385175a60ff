import { cx } from "./ui";

/** What each session state means to the person who owns the number. */
export const SESSION_STATES: Record<string, { label: string; tone: Tone; help: string }> = {
  starting: { label: "Starting", tone: "info", help: "WhatsApp Web is starting for this number." },
  qr_ready: { label: "Waiting for scan", tone: "info", help: "Scan the QR code with WhatsApp on the phone." },
  qr_expired: { label: "QR expired", tone: "warn", help: "Nobody scanned the QR in time. Restart to get a new one." },
  connected: { label: "Connected", tone: "ok", help: "Ready to send." },
  disconnected: { label: "Disconnected", tone: "warn", help: "The phone lost its link; it usually comes back by itself." },
  banned: { label: "Banned", tone: "bad", help: "WhatsApp has banned this number." },
  logged_out: { label: "Logged out", tone: "bad", help: "The number was logged out from the phone. Restart and scan again." },
  agent_offline: { label: "Machine offline", tone: "warn", help: "The machine that runs this number is not answering." },
  stopped: { label: "Stopped", tone: "muted", help: "This number was removed." },
  deleted: { label: "Deleted", tone: "muted", help: "This number was removed." },
  failed: { label: "Failed", tone: "bad", help: "WhatsApp Web could not start for this number." },
  restricted: { label: "Limited", tone: "warn", help: "Only chats that already exist can be messaged for now." },
};

type Tone = "ok" | "info" | "warn" | "bad" | "muted";
const tones: Record<Tone, string> = {
  ok: "bg-emerald-100 text-emerald-900 ring-emerald-600/30",
  info: "bg-sky-100 text-sky-900 ring-sky-600/30",
  warn: "bg-amber-100 text-amber-900 ring-amber-600/30",
  bad: "bg-red-100 text-red-900 ring-red-600/30",
  muted: "bg-slate-100 text-slate-700 ring-slate-500/30",
};

export function stateInfo(status: string) {
  return SESSION_STATES[status] ?? { label: status.replace(/_/g, " "), tone: "muted" as Tone, help: "" };
}

export function Badge({ tone, children, testId }: { tone: Tone; children: React.ReactNode; testId?: string }) {
  return (
    <span data-testid={testId} className={cx("inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset", tones[tone])}>
      {children}
    </span>
  );
}

export function SessionStatusBadge({ status }: { status: string }) {
  const info = stateInfo(status);
  return (
    <Badge tone={info.tone} testId="session-status">
      <span aria-hidden="true" className="h-1.5 w-1.5 rounded-full bg-current" />
      {info.label}
    </Badge>
  );
}
