import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { components } from "./schema";

export type EmailSettings = components["schemas"]["EmailSettings"];

/** Which campaign events also send an email. */
export function useNotificationSettings() {
  return useQuery({ queryKey: keys.notificationSettings, queryFn: () => unwrap(api.GET("/api/notification-settings")) });
}

export function useSaveNotificationSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: EmailSettings) => unwrap(api.PUT("/api/notification-settings", { body })),
    onSuccess: (saved) => qc.setQueryData(keys.notificationSettings, saved),
  });
}
