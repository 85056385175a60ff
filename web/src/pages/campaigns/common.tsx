import { ApiError } from "../../api/errors";
import { Badge } from "../../components/SessionStatus";
import { currentLang, tr, trPlural, type MessageKey } from "../../i18n";
import { formatCount } from "../../lib/format";

type Tone = "ok" | "info" | "warn" | "bad" | "muted";
export const CAMPAIGN_STATES: Record<string, { label: string; tone: Tone }> = {
  draft: { get label() { return tr("campaign.state.draft"); }, tone: "muted" },
  preparing: { get label() { return tr("campaign.state.preparing"); }, tone: "info" },
  scheduled: { get label() { return tr("campaign.state.scheduled"); }, tone: "info" },
  running: { get label() { return tr("campaign.state.running"); }, tone: "info" },
  paused: { get label() { return tr("campaign.state.paused"); }, tone: "warn" },
  completed: { get label() { return tr("campaign.state.completed"); }, tone: "ok" },
  cancelled: { get label() { return tr("campaign.state.cancelled"); }, tone: "muted" },
};

export function CampaignStatusBadge({ status }: { status: string }) {
  const info = CAMPAIGN_STATES[status] ?? { label: status, tone: "muted" as Tone };
  return (
    <Badge tone={info.tone} testId="campaign-status">
      {info.label}
    </Badge>
  );
}

export const MESSAGE_STATES: Record<string, { label: string; tone: Tone }> = {
  pending: { get label() { return tr("campaign.message.pending"); }, tone: "muted" },
  leased: { get label() { return tr("campaign.message.leased"); }, tone: "info" },
  sent: { get label() { return tr("campaign.message.sent"); }, tone: "info" },
  delivered: { get label() { return tr("campaign.message.delivered"); }, tone: "ok" },
  read: { get label() { return tr("campaign.message.read"); }, tone: "ok" },
  failed: { get label() { return tr("campaign.message.failed"); }, tone: "bad" },
  skipped: { get label() { return tr("campaign.message.skipped"); }, tone: "warn" },
  unknown: { get label() { return tr("campaign.message.unknown"); }, tone: "warn" },
  cancelled: { get label() { return tr("campaign.message.cancelled"); }, tone: "muted" },
};

const PAUSE_REASONS: Record<string, string> = {
  paused_by_user: "You paused it.",
  too_many_failures: "More than half of the latest messages failed. Check the failures below before resuming.",
  quota_exhausted: "This month's message quota is used up. Upgrade the plan or wait for the next period, then resume.",
  sending_on_hold: "Sending is on hold for the account. Check Billing, then resume.",
  payment_failed: "The last payment failed and its grace period is over. Update the payment method in Billing, then resume.",
  session_disconnected: "A sending number lost its connection. Resume once it is connected again.",
  session_logged_out: "A sending number was logged out on the phone. Link it again, then resume.",
  session_banned: "WhatsApp banned a sending number. Remove it from the campaign, then resume.",
  session_agent_offline: "The machine running a sending number went offline. It resumes by itself when it is back.",
  session_stopped: "A sending number was removed. Choose another number, then resume.",
  session_failed: "A sending number stopped working. Restart it, then resume.",
  needs_license: "A sending number has no OpenWA licence key, so it can only message people who have chatted with it before or who are saved in its phone's contacts. Add the key on the number's page, then retry the failed messages; or resume to keep sending to existing chats only.",
  license_rejected: "The licence key set on a sending number did not unlock messaging new contacts. Check on the number's page that the key was bought for this number and has not expired, set the right one, then retry the failed messages.",
  session_restricted: "WhatsApp is not letting a sending number start new chats for now. Resume once the restriction lifts (see the Numbers page).",
};

export function pauseReasonText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return reason in PAUSE_REASONS ? tr(`campaign.pause.${reason}` as MessageKey) : reason.replace(/_/g, " ");
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  if (seconds < 60) return tr("duration.underMinute");
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return tr("duration.minutes", { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return tr("duration.hoursMinutes", { hours, minutes: minutes % 60 });
  return trPlural("duration.days", Math.round(hours / 24));
}

interface Affected {
  phone: string;
  name?: string | null;
  missing: string[];
}

/** What a launch (schedule) refusal means, in words, with its lists. */
export function launchProblem(error: unknown): { title: string; message: string; affected?: Affected[]; sessions?: { session_id: string; problem: string }[] } | null {
  if (!(error instanceof ApiError)) return null;
  switch (error.code) {
    case "sessions_not_ready":
      return { title: tr("launch.sessions.title"), message: error.message, sessions: Array.isArray(error.details) ? (error.details as { session_id: string; problem: string }[]) : [] };
    case "missing_variables": {
      const details = error.details as { affected?: Affected[] } | null;
      return { title: tr("launch.missing.title"), message: error.message, affected: details?.affected ?? [] };
    }
    case "empty_audience":
      return { title: tr("launch.empty.title"), message: tr("launch.empty.message") };
    case "quota_exceeded":
      return { title: tr("launch.quota.title"), message: `${error.message} ${tr("launch.quota.fix")}` };
    case "sending_on_hold":
      return { title: tr("launch.hold.title"), message: `${error.message} ${tr("launch.hold.fix")}` };
    default:
      return { title: tr("launch.failed.title"), message: error.message };
  }
}

/**
 * The server's sentence for a launch problem, said in the user's language by its code
 * (and the numbers in its details). English keeps the server's own words.
 */
export function problemMessage(p: { code: string; message: string; details?: unknown }): string {
  if (currentLang() === "en") return p.message;
  const d = (p.details ?? {}) as { count?: number; requested?: number; remaining?: number };
  switch (p.code) {
    case "message_too_long":
      return typeof d.count === "number" ? trPlural("launchMsg.tooLong", d.count, { max: formatCount(4096) }) : p.message;
    case "missing_variables":
      return typeof d.count === "number" ? trPlural("launchMsg.missing", d.count) : p.message;
    case "empty_audience":
      return tr("launchMsg.empty");
    case "quota_short":
      if (typeof d.requested !== "number") return p.message;
      return d.remaining ? tr("launchMsg.quotaShort", { needed: formatCount(d.requested), remaining: formatCount(d.remaining) }) : tr("launchMsg.quotaNone", { needed: formatCount(d.requested) });
    default:
      return p.message;
  }
}

/** A launch the worker sent back to draft (`launch_problem`), in words with its fix. */
export function storedLaunchProblem(p: { code: string; message: string; details?: unknown } | null | undefined): { title: string; message: string; fix: string; affected?: Affected[] } | null {
  if (!p) return null;
  const details = (p.details ?? {}) as { affected?: Affected[]; count?: number };
  switch (p.code) {
    case "missing_variables":
      return { title: tr("launch.missing.title"), message: problemMessage(p), fix: tr("launch.missing.fix"), affected: details.affected ?? [] };
    case "empty_audience":
      return { title: tr("launch.empty.title"), message: problemMessage(p), fix: tr("launch.empty.fix") };
    case "quota_short":
      return { title: tr("launch.quota.title"), message: problemMessage(p), fix: tr("launch.quotaShort.fix") };
    case "message_too_long":
      return { title: tr("launch.tooLong.title"), message: problemMessage(p), fix: tr("launch.tooLong.fix") };
    case "sessions_not_ready":
      return { title: tr("launch.sessions.title"), message: problemMessage(p), fix: tr("launch.sessions.fix") };
    default:
      return { title: tr("launch.stopped.title"), message: problemMessage(p), fix: tr("launch.stopped.fix") };
  }
}

const MESSAGE_REASONS: Record<string, string> = {
  quota: "held back: not enough messages left this month",
  opted_out: "asked not to be messaged",
  missing_variables: "no value for a variable the message needs",
  message_too_long: "longer than 4,096 characters for this contact",
  duplicate: "already in this campaign",
  not_on_whatsapp: "not on WhatsApp",
  invalid_number: "not a valid phone number",
  rate_limited: "WhatsApp asked to slow down",
  timeout: "WhatsApp did not answer in time",
  session_error: "the number had a problem sending",
  needs_license: "needs an OpenWA licence to message someone new",
  restricted: "WhatsApp is not letting the number start new chats for now",
  no_chats: "WhatsApp Web needs at least one chat on the number first",
  broadcast_refused: "cannot be sent to a broadcast list",
  chat_not_found: "WhatsApp could not open a chat with this number",
  media_error: "the image could not be sent",
  too_long: "longer than 4,096 characters once filled in for this contact",
  frequency_cap: "got a message from you recently (the frequency cap)",
};

/** Why one recipient was skipped or failed, in words. */
export function messageReasonText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return reason in MESSAGE_REASONS ? tr(`campaign.reason.${reason}` as MessageKey) : reason.replace(/_/g, " ");
}
