import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import { useCursorList } from "./queries";
import { downloadFile, postWithProgress } from "./raw";
import type { Campaign, CampaignFields, CampaignPatch } from "./types";

export const ACTIVE = new Set(["preparing", "scheduled", "running"]);

export function useCampaigns(status: string, pollMs: number | false = 5000) {
  return useCursorList(
    keys.campaigns.list(status),
    (cursor) =>
      unwrap(
        api.GET("/api/campaigns", {
          params: { query: { limit: 25, cursor, status: (status || undefined) as Campaign["status"] as never } },
        }),
      ),
    pollMs,
  );
}

export function useCampaign(id: string | null) {
  return useQuery({
    queryKey: keys.campaigns.detail(id),
    queryFn: () => unwrap(api.GET("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id! } } })),
    enabled: id !== null,
    // Live counters while it sends; a finished campaign does not change. A cancelled one
    // still moves while its waiting messages are marked cancelled in the background.
    refetchInterval: (query) => {
      const data = query.state.data;
      if (!data) return false;
      const settling = data.status === "cancelled" && data.counters.pending + data.counters.leased > 0;
      return ACTIVE.has(data.status) || settling ? 2500 : false;
    },
  });
}

export function useAudience(id: string | null, version: unknown) {
  return useQuery({
    queryKey: keys.campaigns.audience(id, version),
    queryFn: () => unwrap(api.GET("/api/campaigns/{campaign_id}/audience", { params: { path: { campaign_id: id! } } })),
    enabled: id !== null,
    placeholderData: keepPreviousData,
  });
}

export function useCampaignMessages(id: string, status: string, poll: boolean) {
  return useCursorList(
    keys.campaigns.messages(id, status),
    (cursor) =>
      unwrap(
        api.GET("/api/campaigns/{campaign_id}/messages", {
          params: { path: { campaign_id: id }, query: { limit: 50, cursor, ...(status === "replied" ? { replied: true } : { status: (status || undefined) as never }) } },
        }),
      ),
    poll ? 5000 : false,
  );
}

export function createCampaign(body: CampaignFields) {
  return unwrap(api.POST("/api/campaigns", { body }));
}

/** A draft is rewritten whole; a scheduled or paused campaign takes only what changed. */
export function updateCampaign(id: string, body: CampaignPatch) {
  return unwrap(api.PATCH("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id } }, body }));
}

/** After a save: the campaign's page shows the answer at once, and the lists reload. */
export function useRememberCampaign() {
  const qc = useQueryClient();
  return useCallback(
    (campaign: Campaign) => {
      qc.setQueryData(keys.campaigns.detail(campaign.campaign_id), campaign);
      void qc.invalidateQueries({ queryKey: keys.campaigns.lists });
    },
    [qc],
  );
}

/** Reloads every campaign query (after a launch: lists, counters, forecast). */
export function useRefreshCampaigns() {
  const qc = useQueryClient();
  return useCallback(() => void qc.invalidateQueries({ queryKey: keys.campaigns.all }), [qc]);
}

export function useSaveCampaign() {
  const remember = useRememberCampaign();
  return useMutation({
    mutationFn: ({ id, body }: { id: string | null; body: CampaignFields }) => (id ? updateCampaign(id, body as CampaignPatch) : createCampaign(body)),
    onSuccess: remember,
  });
}

type Action = "pause" | "resume" | "cancel" | "schedule";

export function useCampaignAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: Action }) => {
      const params = { params: { path: { campaign_id: id } } };
      switch (action) {
        case "pause":
          return unwrap(api.POST("/api/campaigns/{campaign_id}/pause", params));
        case "resume":
          return unwrap(api.POST("/api/campaigns/{campaign_id}/resume", params));
        case "cancel":
          return unwrap(api.POST("/api/campaigns/{campaign_id}/cancel", params));
        case "schedule":
          return unwrap(api.POST("/api/campaigns/{campaign_id}/schedule", { ...params, body: {} }));
      }
    },
    onSuccess: (campaign) => {
      qc.setQueryData(keys.campaigns.detail(campaign.campaign_id), campaign);
      void qc.invalidateQueries({ queryKey: keys.campaigns.all });
    },
  });
}

export function useRetryFailed() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/campaigns/{campaign_id}/retry-failed", { params: { path: { campaign_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.campaigns.all }),
  });
}

export function useDeleteCampaign() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.campaigns.lists }),
  });
}

/**
 * Contacts of an audience (all contacts, or any of `tags`) matching `q`, for the
 * preview picker: one search per tag (the API filters by one tag at a time),
 * merged and deduplicated; opted-out contacts are never messaged, so not offered.
 */
export function useAudienceContacts(all: boolean, tags: string[], q: string) {
  const search = q.trim();
  return useQuery({
    queryKey: keys.contacts.audience(all, tags, search),
    queryFn: async () => {
      const filters = all || tags.length === 0 ? [undefined] : tags.slice(0, 5);
      const pages = await Promise.all(
        filters.map((tag) => unwrap(api.GET("/api/contacts", { params: { query: { limit: 20, q: search || undefined, tag, opted_out: false } } }))),
      );
      const seen = new Map<string, (typeof pages)[number]["items"][number]>();
      for (const p of pages) for (const c of p.items) if (!seen.has(c.phone)) seen.set(c.phone, c);
      return [...seen.values()];
    },
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

/** The message as one contact receives it (optionally one A/B variant). */
export function previewCampaign(id: string, phone: string, variant?: "A" | "B" | "C" | "D") {
  return unwrap(api.POST("/api/campaigns/{campaign_id}/preview", { params: { path: { campaign_id: id } }, body: variant ? { phone, variant } : { phone } }));
}

/** Sends one real message of the campaign to `to` from `sessionId`. */
/** One test message; `variant` picks an A/B variant's message (the main one, A, if omitted). */
export function sendTestMessage(id: string, sessionId: string, to: string, variant?: "A" | "B" | "C" | "D") {
  return unwrap(api.POST("/api/campaigns/{campaign_id}/test", { params: { path: { campaign_id: id } }, body: { session_id: sessionId, to, ...(variant ? { variant } : {}) } }));
}

/** A short-lived link to the campaign's image. */
export function campaignImageLink(id: string) {
  return unwrap(api.GET("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: id } } }));
}

/** Uploads an image to the campaign's upload slot (progress 0..1), then attaches it. */
export async function attachCampaignImage(id: string, file: File, onProgress: (share: number) => void) {
  const slot = await unwrap(api.POST("/api/campaigns/{campaign_id}/media/upload", { params: { path: { campaign_id: id } } }));
  await postWithProgress(slot.upload_url, slot.upload_fields, file, file.type.startsWith("image/") ? file.type : "image/jpeg", onProgress);
  return unwrap(api.PUT("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: id } }, body: { upload_key: slot.upload_key } }));
}

export function removeCampaignImage(id: string) {
  return unwrap(api.DELETE("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: id } } }));
}

/** Every recipient and outcome as a CSV download. */
export function downloadCampaignExport(id: string) {
  return downloadFile(`/api/campaigns/${encodeURIComponent(id)}/export`, `campaign-${id}.csv`);
}
