import { useMutation, useQuery } from "@tanstack/react-query";
import { useRememberCampaign } from "./campaignsApi";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { components } from "./schema";

export type FollowUpKind = components["schemas"]["FollowUpBody"]["kind"];
export type FollowUpBody = components["schemas"]["FollowUpBody"];
export type FollowUpPreview = components["schemas"]["FollowUpPreview"];

/** How many recipients each kind of follow-up would reach (only fetched while the dialog is open). */
export function useFollowUpPreview(id: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.campaigns.followUp(id),
    queryFn: () => unwrap(api.GET("/api/campaigns/{campaign_id}/follow-up", { params: { path: { campaign_id: id } } })),
    enabled,
  });
}

export function useFollowUp() {
  const remember = useRememberCampaign();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: FollowUpBody }) =>
      unwrap(api.POST("/api/campaigns/{campaign_id}/follow-up", { params: { path: { campaign_id: id } }, body })),
    onSuccess: remember,
  });
}

export function useDuplicate() {
  const remember = useRememberCampaign();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/campaigns/{campaign_id}/duplicate", { params: { path: { campaign_id: id } } })),
    onSuccess: remember,
  });
}
