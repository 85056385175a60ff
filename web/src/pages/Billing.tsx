import { useBilling, useBillingPlans, useBillingPortal, useCheckout } from "../api/billingApi";
import { messageOf } from "../api/errors";
import type { BillingState } from "../api/types";
import { Badge } from "../components/SessionStatus";
import { Alert, Button, Card, ErrorState, Loading, PageHeader } from "../components/ui";
import { formatDateTime } from "../lib/format";
import { ProgressBar } from "./contacts/ImportWizard";
import { formatCount } from "../lib/format";
import { currentLocale, tr, trPlural } from "../i18n";

function money(cents: number): string {
  return cents === 0 ? tr("billing.free") : tr("billing.perMonth", { price: new Intl.NumberFormat(currentLocale(), { style: "currency", currency: "USD" }).format(cents / 100) });
}

/** Messages used this period against the plan's quota (shared with the dashboard). */
export function UsageBar({ billing }: { billing: BillingState }) {
  const m = billing.messages;
  const share = m.quota > 0 ? (m.used + m.reserved) / m.quota : 0;
  return (
    <div>
      <ProgressBar value={share} label={tr("billing.usedLabel")} />
      <p className="mt-1 text-sm text-slate-700" data-testid="usage">
        {m.reserved
          ? tr("billing.usageReserved", { used: formatCount(m.used), reserved: formatCount(m.reserved), quota: formatCount(m.quota), remaining: formatCount(m.remaining) })
          : tr("billing.usage", { used: formatCount(m.used), quota: formatCount(m.quota), remaining: formatCount(m.remaining) })}
      </p>
    </div>
  );
}

export function BillingPage() {
  const billing = useBilling();
  const plans = useBillingPlans();
  const redirect = (r: { url: string }) => window.location.assign(r.url);
  const checkout = useCheckout(redirect);
  const portal = useBillingPortal(redirect);

  if (billing.isPending) return <Loading what={tr("billing.what")} />;
  if (billing.isError) return <ErrorState error={billing.error} what={tr("billing.what")} onRetry={() => billing.refetch()} />;
  const b = billing.data;
  return (
    <>
      <PageHeader title={tr("nav.billing")}>
        {b.has_billing_customer && (
          <Button variant="secondary" busy={portal.isPending} onClick={() => portal.mutate()}>
            {tr("billing.manage")}
          </Button>
        )}
      </PageHeader>
      <div className="flex flex-col gap-4">
        {portal.error != null && <Alert>{messageOf(portal.error)}</Alert>}
        {b.status === "past_due" && (
          <Alert tone="warning" title={tr("billing.pastDue")}>
            {b.grace_ends_at ? tr("billing.pastDue.before", { when: formatDateTime(b.grace_ends_at) }) : tr("billing.pastDue.text")}
          </Alert>
        )}
        {!b.sending_allowed && <Alert title={tr("launch.hold.title")}>{b.sending_paused_reason?.replace(/_/g, " ") ?? tr("billing.checkPayment")}</Alert>}
        <Card title={tr("billing.yourPlan")}>
          <div className="flex flex-wrap items-center gap-2">
            <p className="text-xl font-semibold">{b.plan.name}</p>
            <Badge tone={b.status === "active" ? "ok" : "warn"}>{b.status === "active" ? tr("billing.active") : tr("billing.due")}</Badge>
          </div>
          <p className="mt-1 text-sm text-slate-700">
            {money(b.plan.price_monthly_cents)} · {tr("billing.perMonthMessages", { count: formatCount(b.plan.messages_per_month) })} · {trPlural("billing.numbers", b.plan.numbers)}
          </p>
          <p className="text-sm text-slate-600">
            {tr(b.cancel_at_period_end ? "billing.ends" : "billing.renews", { when: formatDateTime(b.next_renewal) })}
          </p>
          <div className="mt-4">
            <UsageBar billing={b} />
          </div>
          <p className="mt-2 text-sm text-slate-700">
            {tr("billing.numbersUsed", { used: formatCount(b.numbers.used), allowed: formatCount(b.numbers.allowed) })}
          </p>
        </Card>
        <Card title={tr("billing.plans")}>
          {checkout.error != null && (
            <div className="mb-3">
              <Alert>{messageOf(checkout.error)}</Alert>
            </div>
          )}
          {plans.isPending ? (
            <Loading what={tr("billing.plans.what")} />
          ) : plans.isError ? (
            <ErrorState error={plans.error} what={tr("billing.plans.what")} onRetry={() => plans.refetch()} />
          ) : (
            <ul className="grid gap-3 sm:grid-cols-3">
              {plans.data.items.map((p) => {
                const current = p.id === b.plan.id;
                const paid = p.id === "starter" || p.id === "pro";
                return (
                  <li key={p.id} className={current ? "rounded-lg border-2 border-brand-600 p-4" : "rounded-lg border border-slate-200 p-4"}>
                    <h3 className="font-semibold">{p.name}</h3>
                    <p className="text-sm">{money(p.price_monthly_cents)}</p>
                    <p className="text-sm text-slate-600">
                      {tr("billing.perMonthMessages", { count: formatCount(p.messages_per_month) })} · {trPlural("billing.numbers", p.numbers)}
                    </p>
                    <div className="mt-3">
                      {current ? (
                        <Badge tone="ok">{tr("billing.current")}</Badge>
                      ) : paid && p.purchasable ? (
                        <Button size="sm" busy={checkout.isPending && checkout.variables === p.id} onClick={() => checkout.mutate(p.id as "starter" | "pro")}>
                          {tr(p.price_monthly_cents > b.plan.price_monthly_cents ? "billing.upgradeTo" : "billing.switchTo", { plan: p.name })}
                        </Button>
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
