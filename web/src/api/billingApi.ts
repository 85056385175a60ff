import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";

/** The account's plan, usage and payment state (polled: a payment changes it from elsewhere). */
export function useBilling(enabled = true) {
  return useQuery({ queryKey: keys.billing.state, queryFn: () => unwrap(api.GET("/api/billing")), enabled, refetchInterval: 30_000 });
}

/** The plans on offer; they rarely change, so they are kept for five minutes. */
export function useBillingPlans() {
  return useQuery({ queryKey: keys.billing.plans, queryFn: () => unwrap(api.GET("/api/billing/plans")), staleTime: 300_000 });
}

/** Starts a checkout for a plan; the answer's `url` is where the browser goes to pay. */
export function useCheckout(onSuccess: (answer: { url: string }) => void) {
  return useMutation({
    mutationFn: (plan: "starter" | "pro") => unwrap(api.POST("/api/billing/checkout", { body: { plan } })),
    onSuccess,
  });
}

/** Opens the payment provider's customer portal; the answer's `url` is where the browser goes. */
export function useBillingPortal(onSuccess: (answer: { url: string }) => void) {
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/billing/portal")), onSuccess });
}
