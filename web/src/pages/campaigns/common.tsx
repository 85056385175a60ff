import { ApiError } from "../../api/errors";
import { Badge } from "../../components/SessionStatus";

type Tone = "ok" | "info" | "warn" | "bad" | "muted";
export const CAMPAIGN_STATES: Record<string, { label: string; tone: Tone }> = {
  draft: { label: "Draft", tone: "muted" },
  preparing: { label: "Preparing", tone: "info" },
  scheduled: { label: "Scheduled", tone: "info" },
  running: { label: "Sending", tone: "info" },
  paused: { label: "Paused", tone: "warn" },
  completed: { label: "Completed", tone: "ok" },
  cancelled: { label: "Cancelled", tone: "muted" },
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
  pending: { label: "Waiting", tone: "muted" },
  leased: { label: "Sending", tone: "info" },
  sent: { label: "Sent", tone: "info" },
  delivered: { label: "Delivered", tone: "ok" },
  read: { label: "Read", tone: "ok" },
  failed: { label: "Failed", tone: "bad" },
  skipped: { label: "Skipped", tone: "warn" },
  unknown: { label: "Unknown", tone: "warn" },
  cancelled: { label: "Cancelled", tone: "muted" },
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
};

export function pauseReasonText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return PAUSE_REASONS[reason] ?? reason.replace(/_/g, " ");
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `about ${hours} h ${minutes % 60} min`;
  return `about ${Math.round(hours / 24)} days`;
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
      return { title: "A sending number is not connected", message: error.message, sessions: Array.isArray(error.details) ? (error.details as { session_id: string; problem: string }[]) : [] };
    case "missing_variables": {
      const details = error.details as { affected?: Affected[] } | null;
      return { title: "Some recipients lack a variable", message: error.message, affected: details?.affected ?? [] };
    }
    case "empty_audience":
      return { title: "No one to message", message: "The audience has no contacts who can be messaged. Choose other tags or import contacts." };
    case "quota_exceeded":
      return { title: "Not enough messages left this month", message: `${error.message} Upgrade your plan in Billing or send to fewer contacts.` };
    case "sending_on_hold":
      return { title: "Sending is on hold", message: `${error.message} Check Billing.` };
    default:
      return { title: "Could not launch", message: error.message };
  }
}

/** A launch the worker sent back to draft (`launch_problem`), in words with its fix. */
export function storedLaunchProblem(p: { code: string; message: string; details?: unknown } | null | undefined): { title: string; message: string; fix: string; affected?: Affected[] } | null {
  if (!p) return null;
  const details = (p.details ?? {}) as { affected?: Affected[]; count?: number };
  switch (p.code) {
    case "missing_variables":
      return { title: "Some recipients lack a variable", message: p.message, fix: "Choose “Skip contacts missing it” under the message, give the variable a fallback, or fill in their details, then launch again.", affected: details.affected ?? [] };
    case "empty_audience":
      return { title: "No one to message", message: p.message, fix: "Choose other tags or import contacts, then launch again." };
    case "quota_short":
      return { title: "Not enough messages left this month", message: p.message, fix: "Launch again to upgrade, or to send to as many as your plan allows now." };
    case "message_too_long":
      return { title: "The message is too long for some contacts", message: p.message, fix: "Once their details are filled in, their message passes WhatsApp's 4,096 characters. Shorten it, then launch again." };
    case "sessions_not_ready":
      return { title: "A sending number is not connected", message: p.message, fix: "Reconnect it on the Numbers page, then launch again." };
    default:
      return { title: "The launch stopped", message: p.message, fix: "Check the campaign, then launch again." };
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
  too_long: "longer than 4,096 characters once filled in for this contact",
  frequency_cap: "got a message from you recently (the frequency cap)",
};

/** Why one recipient was skipped or failed, in words. */
export function messageReasonText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return MESSAGE_REASONS[reason] ?? reason.replace(/_/g, " ");
}
