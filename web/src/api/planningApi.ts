import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { rawFetch } from "./raw";

/**
 * Campaign planning (forecast, launch summary, number health), as documented in
 * docs/campaign-planning.md. Typed here from that contract; `make web` brings the
 * same shapes into schema.d.ts once the routes are in the OpenAPI document.
 */
export type Limit = "gaps" | "daily_cap" | "warmup" | "quiet_hours";

export interface ForecastDay {
  date: string; // YYYY-MM-DD in the campaign's time zone
  total: number;
  numbers: { session_id: string; count: number; limit: Limit | null }[];
}

export interface Suggestion {
  kind: "more_numbers" | "skip_warmup" | "raise_daily_cap" | "shorter_gaps";
  message: string;
  change: Record<string, number | boolean>;
  finish_at: number | null;
  meets_deadline: boolean;
  risk: string | null;
}

export interface Forecast {
  recipients: number;
  timezone: string;
  first_message_at: number | null;
  finish_at: number | null;
  duration_s: number | null;
  beyond_horizon: boolean;
  days: ForecastDay[];
  pauses: { session_id: string; reason: "daily_cap" | "warmup" | "quiet_hours"; start: number; end: number }[];
  numbers: { session_id: string; label: string | null; recipients: number; first_message_at: number | null; finish_at: number | null; daily_room_today: number; warmup_day: number | null }[];
  deadline?: { deadline: number; met: boolean; late_by_s: number; suggestions: Suggestion[] } | null;
}

export interface AudienceEstimate {
  selected: number;
  opted_out: number;
  missing_variables: number;
  recipients: number;
  exact: boolean;
}

export interface ForecastRequest {
  session_ids: string[];
  audience?: { all: boolean; tags: string[] };
  recipients?: number;
  pacing?: { min_gap_s?: number; max_gap_s?: number; daily_cap?: number; warmup?: boolean; quiet_start?: string | null; quiet_end?: string | null };
  timezone?: string;
  send_at?: string | null;
  deadline?: string | null;
  template?: string;
  on_missing_variable?: "block" | "skip";
}

export interface LaunchSummary {
  audience: AudienceEstimate;
  numbers: { session_id: string; label: string | null; status: string; connected: boolean }[];
  first_message_at: number | null;
  finish_at: number | null;
  forecast: Forecast;
  quota: { needed: number; remaining: number; short_by: number; unlimited: boolean };
  can_launch: boolean;
  problems: { code: string; message: string }[];
  send_to_first_max: number | null;
}

export interface NumberHealth {
  session_id: string;
  label: string | null;
  phone: string | null;
  status: string;
  sent_today: number;
  daily_room: number;
  warmup_day: number | null;
  daily_cap: number;
  sent_7d: number;
  failed_7d: number;
  failure_rate_7d: number;
  replies_7d: number;
  reply_rate_7d: number;
  opt_outs_7d: number;
  last_signal: { state: string; at: number } | null;
  badge: "healthy" | "at_risk" | "paused";
  badge_reason: string | null;
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await rawFetch(path, init);
  return (await response.json()) as T;
}

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** The composer's live forecast for values not saved yet. */
export function useComposerForecast(body: ForecastRequest | null) {
  return useQuery({
    queryKey: ["campaigns", "forecast", body],
    queryFn: () => json<{ forecast: Forecast; audience: AudienceEstimate }>("/api/campaigns/forecast", post(body)),
    enabled: body !== null && body.session_ids.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

/** A saved campaign's forecast (what is still to send, from now). */
export function useCampaignForecast(id: string, poll: number | false) {
  return useQuery({
    queryKey: ["campaigns", id, "forecast"],
    queryFn: () => json<Forecast>(`/api/campaigns/${encodeURIComponent(id)}/forecast`),
    refetchInterval: poll,
  });
}

export function useLaunchSummary(id: string | null) {
  return useQuery({
    queryKey: ["campaigns", id, "launch-summary"],
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
    queryKey: ["sessions", "health"],
    queryFn: () => json<{ items: NumberHealth[] }>("/api/sessions/health"),
    refetchInterval: poll,
  });
}

export function checkoutReturningTo(plan: string, returnTo: string) {
  return json<{ url: string }>("/api/billing/checkout", post({ plan, return_to: returnTo }));
}
