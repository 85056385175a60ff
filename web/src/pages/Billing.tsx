import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { messageOf } from "../api/errors";
import type { BillingState } from "../api/types";
import { Badge } from "../components/SessionStatus";
import { Alert, Button, Card, ErrorState, Loading, PageHeader } from "../components/ui";
import { formatDateTime } from "../lib/format";
import { ProgressBar } from "./contacts/ImportWizard";

export function useBilling(enabled = true) {
  return useQuery({ queryKey: ["billing"], queryFn: () => unwrap(api.GET("/api/billing")), enabled, refetchInterval: 30_000 });
}

function money(cents: number): string {
  return cents === 0 ? "Free" : `${new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" }).format(cents / 100)} / month`;
}

/** Messages used this period against the plan's quota (shared with the dashboard). */
export function UsageBar({ billing }: { billing: BillingState }) {
  const m = billing.messages;
  const share = m.quota > 0 ? (m.used + m.reserved) / m.quota : 0;
  return (
    <div>
      <ProgressBar value={share} label="Messages used this month" />
      <p className="mt-1 text-sm text-slate-700" data-testid="usage">
        {m.used.toLocaleString()} sent{m.reserved ? ` + ${m.reserved.toLocaleString()} reserved for running campaigns` : ""} of {m.quota.toLocaleString()} this period · {m.remaining.toLocaleString()} left
      </p>
    </div>
  );
}

export function BillingPage() {
  const billing = useBilling();
  const plans = useQuery({ queryKey: ["billing", "plans"], queryFn: () => unwrap(api.GET("/api/billing/plans")), staleTime: 300_000 });
  const redirect = (url: string) => window.location.assign(url);
  const checkout = useMutation({
    mutationFn: (plan: "starter" | "pro") => unwrap(api.POST("/api/billing/checkout", { body: { plan } })),
    onSuccess: (r) => redirect(r.url),
  });
  const portal = useMutation({ mutationFn: () => unwrap(api.POST("/api/billing/portal")), onSuccess: (r) => redirect(r.url) });

  if (billing.isPending) return <Loading what="billing" />;
  if (billing.isError) return <ErrorState error={billing.error} what="billing" onRetry={() => billing.refetch()} />;
  const b = billing.data;
  return (
    <>
      <PageHeader title="Billing">
        {b.has_billing_customer && (
          <Button variant="secondary" busy={portal.isPending} onClick={() => portal.mutate()}>
            Manage billing
          </Button>
        )}
      </PageHeader>
      <div className="flex flex-col gap-4">
        {portal.error != null && <Alert>{messageOf(portal.error)}</Alert>}
        {b.status === "past_due" && (
          <Alert tone="warning" title="Your last payment failed">
            Update the payment method{b.grace_ends_at ? ` before ${formatDateTime(b.grace_ends_at)}` : ""} to keep sending.
          </Alert>
        )}
        {!b.sending_allowed && <Alert title="Sending is on hold">{b.sending_paused_reason?.replace(/_/g, " ") ?? "Check your payment method."}</Alert>}
        <Card title="Your plan">
          <div className="flex flex-wrap items-center gap-2">
            <p className="text-xl font-semibold">{b.plan.name}</p>
            <Badge tone={b.status === "active" ? "ok" : "warn"}>{b.status === "active" ? "Active" : "Payment due"}</Badge>
          </div>
          <p className="mt-1 text-sm text-slate-700">
            {money(b.plan.price_monthly_cents)} · {b.plan.messages_per_month.toLocaleString()} messages a month · {b.plan.numbers} number(s)
          </p>
          <p className="text-sm text-slate-600">
            {b.cancel_at_period_end ? "Ends" : "Renews"} {formatDateTime(b.next_renewal)}
          </p>
          <div className="mt-4">
            <UsageBar billing={b} />
          </div>
          <p className="mt-2 text-sm text-slate-700">
            Numbers: {b.numbers.used} of {b.numbers.allowed}
          </p>
        </Card>
        <Card title="Plans">
          {checkout.error != null && (
            <div className="mb-3">
              <Alert>{messageOf(checkout.error)}</Alert>
            </div>
          )}
          {plans.isPending ? (
            <Loading what="plans" />
          ) : plans.isError ? (
            <ErrorState error={plans.error} what="plans" onRetry={() => plans.refetch()} />
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
                      {p.messages_per_month.toLocaleString()} messages / month · {p.numbers} number(s)
                    </p>
                    <div className="mt-3">
                      {current ? (
                        <Badge tone="ok">Current plan</Badge>
                      ) : paid && p.purchasable ? (
                        <Button size="sm" busy={checkout.isPending && checkout.variables === p.id} onClick={() => checkout.mutate(p.id as "starter" | "pro")}>
                          {p.price_monthly_cents > b.plan.price_monthly_cents ? `Upgrade to ${p.name}` : `Switch to ${p.name}`}
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
