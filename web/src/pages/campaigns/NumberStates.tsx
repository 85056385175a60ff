import type { Campaign } from "../../api/types";
import { Badge } from "../../components/SessionStatus";
import { formatCount } from "../../lib/format";
import { formatUntil } from "../../lib/format";
import { pauseReasonText } from "./common";
import { tr } from "../../i18n";

/** Fields of docs/campaign-planning.md that older API documents do not describe. */
export interface CampaignPlanning {
  numbers?: { session_id: string; label: string | null; state: string; until: number | null; detail: string | null }[];
  first_message_at?: number | null;
  finish_at?: number | null;
  launch_progress?: { stage: "checking" | "queuing" | "done"; checked: number; recipients: number; queued: number; total: number } | null;
  launch_problem?: { code: string; message: string; details?: unknown } | null;
  send_limit?: number | null;
  deadline?: number | null;
}

export const planningOf = (c: Campaign): CampaignPlanning => c as unknown as CampaignPlanning;

type Tone = "ok" | "info" | "warn" | "bad" | "muted";

/**
 * Why a number is (not) sending this campaign right now, in words: `label` is the
 * short state for its badge, `detail` the rest (until when, what to do), and `text`
 * the whole sentence for one-line places (dashboard, campaign list).
 */
export function numberStateWords(
  n: { state: string; until: number | null; detail: string | null },
  timeZone: string,
  now = Date.now(),
): { text: string; label: string; detail: string | null; tone: Tone } {
  const until = n.until ? formatUntil(n.until, timeZone, now) : null;
  const words = (tone: Tone, text: string, label = text, detail: string | null = null) => ({ text, label, detail, tone });
  const resumes = until ? tr("numberState.resumesAt", { until }) : null;
  switch (n.state) {
    case "sending":
      return words("ok", tr("numberState.sending"));
    case "waiting_gap":
      return words("ok", until ? tr("numberState.gapUntil", { until }) : tr("numberState.gap"), tr("numberState.gap"), until ? tr("numberState.nextAt", { until }) : null);
    case "daily_cap":
      return words("info", until ? tr("numberState.dailyCapUntil", { until }) : tr("numberState.dailyCap"), tr("numberState.dailyCap"), resumes);
    case "warmup_limit":
      return words("info", until ? tr("numberState.warmupUntil", { until }) : tr("numberState.warmup"), tr("numberState.warmupShort"), resumes);
    case "quiet_hours":
      return words("info", until ? tr("numberState.quietUntil", { until }) : tr("numberState.quiet"), tr("numberState.quiet"), until ? tr("numberState.until", { until }) : null);
    case "offline": {
      const why = n.detail ? ` (${n.detail.replace(/_/g, " ")})` : "";
      return words("bad", tr("numberState.offline", { detail: why }), tr("numberState.offlineShort", { detail: why }), tr("numberState.reconnect"));
    }
    case "backing_off":
      return words("warn", until ? tr("numberState.backoffUntil", { until }) : tr("numberState.backoff"), tr("numberState.backoffShort"), until ? tr("numberState.backoffUntil", { until }) : tr("numberState.backoff"));
    case "other_campaign": {
      const text = n.detail ? tr("numberState.otherNamed", { name: n.detail }) : tr("numberState.other");
      return words("info", text, tr("numberState.otherShort"), text);
    }
    case "paused":
      // The campaign's alert already says why it paused; the badge only says that it is.
      return words("warn", tr("numberState.paused", { reason: pauseReasonText(n.detail) ?? tr("numberState.pausedDefault") }), tr("numberState.pausedShort"), resumes);
    case "scheduled":
      return words("info", until ? tr("numberState.startsAt", { until }) : tr("campaign.state.scheduled"), tr("campaign.state.scheduled"), until ? tr("numberState.startsAt", { until }) : null);
    case "preparing":
      return words("info", tr("outcome.preparing"), tr("campaign.state.preparing"), tr("outcome.preparing"));
    case "done":
      return words("muted", tr("numberState.done"));
    default:
      return words("muted", tr("numberState.idle"));
  }
}

/** One line per sending number: what it is doing for this campaign and until when. */
export function NumberStates({ campaign, compact = false }: { campaign: Campaign; compact?: boolean }) {
  const numbers = planningOf(campaign).numbers ?? [];
  if (numbers.length === 0) return null;
  const shown = compact ? numbers.filter((n) => !["idle", "done"].includes(n.state)) : numbers;
  if (shown.length === 0) return null;
  return (
    <ul className={compact ? "mt-1 flex flex-col gap-0.5" : "flex flex-col gap-2"} aria-label={tr("campaign.sendingNumbers")} data-testid="number-states">
      {shown.map((n) => {
        const words = numberStateWords(n, campaign.timezone);
        return (
          <li key={n.session_id} className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-sm">
            <span className="font-medium">{n.label ?? n.session_id}</span>
            {compact ? (
              <span className="text-xs text-slate-600">{words.text}</span>
            ) : (
              <>
                <Badge tone={words.tone} testId="number-state">
                  {words.label}
                </Badge>
                {/* Wrapped plain text, never squeezed into the pill. */}
                {words.detail && (
                  <span className="min-w-0 break-words text-slate-600" data-testid="number-state-detail">
                    {words.detail}
                  </span>
                )}
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Materialisation progress while a launch prepares, instead of a spinner. */
export function PreparingProgress({ campaign }: { campaign: Campaign }) {
  const p = planningOf(campaign).launch_progress;
  if (campaign.status !== "preparing") return null;
  const checking = !p || p.stage === "checking";
  const share = !p ? 0 : checking ? (p.recipients ? p.checked / Math.max(p.recipients, 1) : 0) : p.queued / Math.max(p.total, 1);
  const pct = Math.max(0, Math.min(100, Math.round(share * 100)));
  return (
    <div className="flex flex-col gap-1" aria-live="polite">
      <div role="progressbar" aria-label={tr("preparing.label")} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200">
        <div className="h-full rounded-full bg-sky-600 transition-[width]" style={{ width: `${pct}%` }} />
      </div>
      <p className="text-sm text-slate-700" data-testid="preparing-progress">
        {!p
          ? tr("preparing.starting")
          : checking
            ? tr("preparing.checking", { checked: formatCount(p.checked), total: p.recipients ? formatCount(p.recipients) : "…" })
            : tr("preparing.queuing", { queued: formatCount(p.queued), total: formatCount(p.total) })}
      </p>
    </div>
  );
}
