import { cx } from "./ui";
import { currentLang, tr } from "../i18n/current";
import type { MessageKey } from "../i18n/en";

/** What each session state means to the person who owns the number. */
export const SESSION_STATES: Record<string, { label: string; tone: Tone; help: string }> = {
  starting: { get label() { return tr("session.state.starting"); }, tone: "info", get help() { return tr("session.help.starting"); } },
  qr_ready: { get label() { return tr("session.state.qr_ready"); }, tone: "info", get help() { return tr("session.help.qr_ready"); } },
  qr_expired: { get label() { return tr("session.state.qr_expired"); }, tone: "warn", get help() { return tr("session.help.qr_expired"); } },
  connected: { get label() { return tr("session.state.connected"); }, tone: "ok", get help() { return tr("session.help.connected"); } },
  disconnected: { get label() { return tr("session.state.disconnected"); }, tone: "warn", get help() { return tr("session.help.disconnected"); } },
  banned: { get label() { return tr("session.state.banned"); }, tone: "bad", get help() { return tr("session.help.banned"); } },
  logged_out: { get label() { return tr("session.state.logged_out"); }, tone: "bad", get help() { return tr("session.help.logged_out"); } },
  agent_offline: { get label() { return tr("session.state.agent_offline"); }, tone: "warn", get help() { return tr("session.help.agent_offline"); } },
  stopped: { get label() { return tr("session.state.stopped"); }, tone: "muted", get help() { return tr("session.help.stopped"); } },
  deleted: { get label() { return tr("session.state.deleted"); }, tone: "muted", get help() { return tr("session.help.deleted"); } },
  failed: { get label() { return tr("session.state.failed"); }, tone: "bad", get help() { return tr("session.help.failed"); } },
  restricted: { get label() { return tr("session.state.restricted"); }, tone: "warn", get help() { return tr("session.help.restricted"); } },
};

type Tone = "ok" | "info" | "warn" | "bad" | "muted";
const tones: Record<Tone, string> = {
  ok: "bg-emerald-100 text-emerald-900 ring-emerald-600/30",
  info: "bg-sky-100 text-sky-900 ring-sky-600/30",
  warn: "bg-amber-100 text-amber-900 ring-amber-600/30",
  bad: "bg-red-100 text-red-900 ring-red-600/30",
  muted: "bg-slate-100 text-slate-700 ring-slate-500/30",
};

const START_FAILURES = new Set(["whatsapp_unreachable", "browser_missing", "browser_failed", "profile_locked", "qr_timeout", "whatsapp_web_changed", "start_failed"]);

/** Why a number failed to start: the server's sentence, or in another language the words for the agent's code. */
export function startFailureText(s: { status: string; status_reason?: string | null; status_reason_text?: string | null }): string | null {
  if (s.status === "failed" && s.status_reason_text && currentLang() !== "en") {
    const code = s.status_reason && START_FAILURES.has(s.status_reason) ? s.status_reason : "start_failed";
    return tr(`startFail.${code}` as MessageKey);
  }
  return s.status_reason_text ?? null;
}

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
