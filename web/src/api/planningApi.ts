import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { keys } from "./keys";
import { rawFetch } from "./raw";
import type { components } from "./schema";

/**
 * Campaign planning (forecast, launch summary, number health), as documented in
 * docs/campaign-planning.md; shapes from the generated schema.
 */
type S = components["schemas"];
export type Forecast = S["Forecast"];
export type ForecastDay = S["Day"];
export type Limit = NonNullable<S["NumberDay"]["limit"]>;
export type Suggestion = S["Suggestion"];
export type AudienceEstimate = S["AudienceEstimate"];
export type ForecastRequest = S["ForecastBody"];
export type LaunchSummary = S["LaunchSummary"];

export type NumberHealth = S["NumberHealth"];

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await rawFetch(path, init);
  return (await response.json()) as T;
}

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** The composer's live forecast for values not saved yet. */
export function useComposerForecast(body: ForecastRequest | null) {
  return useQuery({
    queryKey: keys.campaigns.composerForecast(body),
    queryFn: () => json<{ forecast: Forecast; audience: AudienceEstimate }>("/api/campaigns/forecast", post(body)),
    enabled: body !== null && body.session_ids.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

/** A saved campaign's forecast (what is still to send, from now). */
export function useCampaignForecast(id: string, poll: number | false) {
  return useQuery({
    queryKey: keys.campaigns.forecast(id),
    queryFn: () => json<Forecast>(`/api/campaigns/${encodeURIComponent(id)}/forecast`),
    refetchInterval: poll,
  });
}

export function useLaunchSummary(id: string | null) {
  return useQuery({
    queryKey: keys.campaigns.launchSummary(id),
    queryFn: () => json<LaunchSummary>(`/api/campaigns/${encodeURIComponent(id!)}/launch-summary`),
    enabled: id !== null,
    staleTime: 0,
  });
}

export function scheduleCampaign(id: string, sendToFirst: number | null) {
  return json<unknown>(`/api/campaigns/${encodeURIComponent(id)}/schedule`, post(sendToFirst ? { send_to_first: sendToFirst } : {}));
}

export function useNumberHealth(poll: number | false = 30_000) {
  return useQuery({
    queryKey: keys.sessions.health,
    queryFn: () => json<S["HealthList"]>("/api/sessions/health"),
    refetchInterval: poll,
  });
}

export function checkoutReturningTo(plan: string, returnTo: string) {
  return json<{ url: string }>("/api/billing/checkout", post({ plan, return_to: returnTo }));
}
