import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { useCursorList } from "./queries";
import type { Campaign, CampaignFields, CampaignPatch } from "./types";

export const ACTIVE = new Set(["preparing", "scheduled", "running"]);

export function useCampaigns(status: string, pollMs: number | false = 5000) {
  return useCursorList(
    ["campaigns", "list", status],
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
    queryKey: ["campaigns", id],
    queryFn: () => unwrap(api.GET("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id! } } })),
    enabled: id !== null,
    // Live counters while it sends; a finished campaign does not change.
    refetchInterval: (query) => (query.state.data && ACTIVE.has(query.state.data.status) ? 2500 : false),
  });
}

export function useAudience(id: string | null, version: unknown) {
  return useQuery({
    queryKey: ["campaigns", id, "audience", version],
    queryFn: () => unwrap(api.GET("/api/campaigns/{campaign_id}/audience", { params: { path: { campaign_id: id! } } })),
    enabled: id !== null,
    placeholderData: keepPreviousData,
  });
}

export function useCampaignMessages(id: string, status: string, poll: boolean) {
  return useCursorList(
    ["campaigns", id, "messages", status],
    (cursor) =>
      unwrap(
        api.GET("/api/campaigns/{campaign_id}/messages", {
          params: { path: { campaign_id: id }, query: { limit: 50, cursor, ...(status === "replied" ? { replied: true } : { status: (status || undefined) as never }) } },
        }),
      ),
    poll ? 5000 : false,
  );
}

export function useSaveCampaign() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string | null; body: CampaignFields }) =>
      id
        ? unwrap(api.PATCH("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id } }, body: body as CampaignPatch }))
        : unwrap(api.POST("/api/campaigns", { body })),
    onSuccess: (campaign) => {
      qc.setQueryData(["campaigns", campaign.campaign_id], campaign);
      void qc.invalidateQueries({ queryKey: ["campaigns", "list"] });
    },
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
      qc.setQueryData(["campaigns", campaign.campaign_id], campaign);
      void qc.invalidateQueries({ queryKey: ["campaigns"] });
    },
  });
}

export function useRetryFailed() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/campaigns/{campaign_id}/retry-failed", { params: { path: { campaign_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["campaigns"] }),
  });
}

export function useDeleteCampaign() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["campaigns", "list"] }),
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
    queryKey: ["contacts", "audience", all, tags, search],
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
