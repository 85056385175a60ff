import type { components } from "../../api/schema";
import type { Campaign, CampaignMessage } from "../../api/types";
import { Badge } from "../../components/SessionStatus";
import { Card } from "../../components/ui";
import { PhoneBubble } from "../../components/WhatsAppText";
import { useI18n } from "../../i18n";

type Result = components["schemas"]["VariantResult"];
type Metric = "delivered" | "read" | "replied" | "failed";
const RATE: Record<Metric, "delivered_rate" | "read_rate" | "reply_rate" | "failed_rate"> = { delivered: "delivered_rate", read: "read_rate", replied: "reply_rate", failed: "failed_rate" };

const rateOf = (r: Result, m: Metric): number => r[RATE[m]];

function usePercent() {
  const { locale } = useI18n();
  const format = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  return (share: number) => format.format(share);
}

/** Each variant's delivered, read, replied and failed counts with their rates, and the rollout. */
export function VariantComparison({ campaign: c }: { campaign: Campaign }) {
  const { t, n, d } = useI18n();
  const percent = usePercent();
  const rows = c.variant_results ?? [];
  if (rows.length === 0 || c.status === "draft") return null;
  const decision = c.rollout?.decision ?? null;
  const sent = rows.some((r) => r.sent > 0);
  const bestRate = Math.max(...rows.map((r) => r.reply_rate));
  const texts = [c.template, ...(c.variants ?? []).map((v) => v.template)];
  const metrics: Metric[] = ["delivered", "read", "replied", "failed"];
  return (
    <Card title={t("variants.compare.title")}>
      {c.rollout && (
        <p className="mb-3 text-sm text-slate-700" data-testid="rollout-state">
          {decision
            ? t("variants.rollout.decided", { letter: decision.winner, date: d(decision.decided_at) })
            : c.rollout.waiting > 0
              ? t(c.rollout.wait_hours > 0 ? "variants.rollout.waitingHours" : "variants.rollout.waiting", { count: n(c.rollout.waiting), size: n(c.rollout.test_size), hours: n(c.rollout.wait_hours) })
              : null}
        </p>
      )}
      {/* Focusable so a keyboard can scroll it on a narrow screen. */}
      <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={t("variants.compare.title")}>
        <table className="min-w-full text-left text-sm" data-testid="variant-comparison">
          <caption className="mb-2 text-left text-xs text-slate-600">{t("variants.compare.caption")}</caption>
          <thead className="text-xs uppercase text-slate-600">
            <tr>
              <th scope="col" className="px-2 py-2">{t("variants.compare.variant")}</th>
              <th scope="col" className="px-2 py-2 text-right">{t("variants.compare.recipients")}</th>
              <th scope="col" className="px-2 py-2 text-right">{t("variants.compare.sent")}</th>
              {metrics.map((m) => (
                <th key={m} scope="col" className="px-2 py-2 text-right">
                  {t(`variants.compare.${m}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((r) => (
              <tr key={r.variant}>
                <th scope="row" className="whitespace-nowrap px-2 py-2 font-medium">
                  {t("variants.tab", { letter: r.variant })}
                  {decision?.winner === r.variant && (
                    <span className="ml-2">
                      <Badge tone="ok">{t("variants.compare.winner")}</Badge>
                    </span>
                  )}
                  {!decision && sent && r.reply_rate === bestRate && r.reply_rate > 0 && (
                    <span className="ml-2">
                      <Badge tone="info">{t("variants.compare.best")}</Badge>
                    </span>
                  )}
                </th>
                <td className="px-2 py-2 text-right tabular-nums">{n(r.recipients)}</td>
                <td className="px-2 py-2 text-right tabular-nums">{n(r.sent)}</td>
                {metrics.map((m) => (
                  <td key={m} className="whitespace-nowrap px-2 py-2 text-right tabular-nums">
                    {n(r[m])} <span className="text-xs text-slate-600">({percent(rateOf(r, m))})</span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {decision && (
        <details className="mt-3 text-sm">
          <summary className="cursor-pointer text-slate-700">{t("variants.rollout.figures")}</summary>
          <ul className="mt-1 list-disc pl-5 text-slate-700">
            {decision.figures.map((f) => (
              <li key={f.variant}>
                {t("variants.tab", { letter: f.variant })}: {t("variants.compare.replied")} {n(f.replied)} / {n(f.sent)} ({percent(f.reply_rate)}), {t("variants.compare.read")} {n(f.read)} ({percent(f.read_rate)})
              </li>
            ))}
          </ul>
        </details>
      )}
      <details className="mt-3 text-sm">
        <summary className="cursor-pointer text-slate-700">{t("variants.compare.texts")}</summary>
        <div className="mt-2 grid gap-3 sm:grid-cols-2">
          {texts.map((text, i) => (
            <div key={i}>
              <p className="mb-1 text-xs font-medium text-slate-700">{t("variants.tab", { letter: rows[i]?.variant ?? "" })}</p>
              <PhoneBubble text={text} />
            </div>
          ))}
        </div>
      </details>
    </Card>
  );
}

/** The recipient's variant in the recipients list (nothing for a campaign without variants). */
export function VariantTag({ campaign: c, message: m }: { campaign: Campaign; message: CampaignMessage }) {
  const { t } = useI18n();
  if (!c.variant_results?.length) return null;
  return <span className="mt-0.5 block text-xs text-slate-600">{m.variant ? t("variants.recipient", { letter: m.variant }) : t("variants.recipient.waiting")}</span>;
}
