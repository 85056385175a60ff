import { useNumberHealth, type NumberHealth as Health } from "../api/planningApi";
import { formatCount, formatPercent } from "../lib/format";
import { timeAgo } from "../lib/format";
import { Badge, stateInfo } from "./SessionStatus";
import { messageOf } from "../api/errors";
import { Card, Loading } from "./ui";
import { tr, trPlural } from "../i18n/current";

const BADGES: Record<Health["badge"], { label: string; tone: "ok" | "warn" | "bad" }> = {
  healthy: { get label() { return tr("health.healthy"); }, tone: "ok" },
  at_risk: { get label() { return tr("health.at_risk"); }, tone: "warn" },
  paused: { get label() { return tr("health.paused"); }, tone: "bad" },
};

function Row({ h }: { h: Health }) {
  const badge = BADGES[h.badge as Health["badge"]] ?? { label: h.badge, tone: "warn" as const };
  const room = h.warmup_day ? tr("health.warmupDay", { day: formatCount(h.warmup_day) }) : tr("health.dailyCap", { cap: formatCount(h.daily_cap) });
  return (
    <li className="flex flex-col gap-1 py-3" data-testid="number-health">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium">
          {h.label ?? h.session_id} {h.phone && <span className="font-normal text-slate-600">+{h.phone.replace(/^\+/, "")}</span>}
        </p>
        <Badge tone={badge.tone}>{badge.label}</Badge>
      </div>
      {h.badge_reason && <p className="text-sm text-slate-700">{h.badge_reason}</p>}
      <p className="text-xs text-slate-600">
        {tr("health.today", { sent: formatCount(h.sent_today), limit: formatCount(h.daily_limit), room })}{" "}
        {h.sent_7d > 0 ? tr("health.week", { sent: formatCount(h.sent_7d), failed: formatPercent(h.failure_rate_7d ?? 0), replied: formatPercent(h.reply_rate_7d ?? 0) }) : tr("health.nothing")}, {trPlural("health.optOuts", h.opt_outs_7d)}
      </p>
      {h.last_signal && (
        <p className="text-xs text-slate-600">
          {tr("health.lastSign", { state: stateInfo(h.last_signal.state).label.toLowerCase(), when: timeAgo(h.last_signal.at) })}
          {h.last_signal.reason ? ` (${h.last_signal.reason})` : ""}
        </p>
      )}
    </li>
  );
}

/** Each number's health in one look: today's room, 7-day rates, the last warning sign, a badge with its reason. */
export function NumberHealthCard() {
  const health = useNumberHealth();
  // With no number yet, the page's own empty state says what to do.
  if (health.data && health.data.items.length === 0) return null;
  return (
    <Card title={tr("health.title")}>
      {health.isPending ? (
        <Loading what={tr("health.what")} />
      ) : health.isError ? (
        // It polls, so a failure mends itself; the page keeps one "Try again" (its own list's).
        <p className="text-sm text-slate-600">{tr("health.unavailable", { message: messageOf(health.error) })}</p>
      ) : (
        <ul className="divide-y divide-slate-100" aria-label={tr("health.title")}>
          {health.data.items.map((h) => (
            <Row key={h.session_id} h={h} />
          ))}
        </ul>
      )}
    </Card>
  );
}
