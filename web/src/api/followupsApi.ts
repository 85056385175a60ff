import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { components } from "./schema";

export type FollowUpKind = components["schemas"]["FollowUpBody"]["kind"];
export type FollowUpBody = components["schemas"]["FollowUpBody"];
export type FollowUpPreview = components["schemas"]["FollowUpPreview"];

/** How many recipients each kind of follow-up would reach (only fetched while the dialog is open). */
export function useFollowUpPreview(id: string, enabled: boolean) {
  return useQuery({
    queryKey: ["campaigns", id, "follow-up"],
    queryFn: () => unwrap(api.GET("/api/campaigns/{campaign_id}/follow-up", { params: { path: { campaign_id: id } } })),
    enabled,
  });
}

export function useFollowUp() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: FollowUpBody }) =>
      unwrap(api.POST("/api/campaigns/{campaign_id}/follow-up", { params: { path: { campaign_id: id } }, body })),
    onSuccess: (campaign) => {
      qc.setQueryData(["campaigns", campaign.campaign_id], campaign);
      void qc.invalidateQueries({ queryKey: ["campaigns", "list"] });
    },
  });
}

export function useDuplicate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/campaigns/{campaign_id}/duplicate", { params: { path: { campaign_id: id } } })),
    onSuccess: (campaign) => {
      qc.setQueryData(["campaigns", campaign.campaign_id], campaign);
      void qc.invalidateQueries({ queryKey: ["campaigns", "list"] });
    },
  });
}
