import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";

/** Set or replace a number's OpenWA licence key (write-only: the answer shows it masked). */
export function useSetLicense() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, key }: { id: string; key: string }) =>
      unwrap(
        api.PUT("/api/sessions/{session_id}/license", {
          params: { path: { session_id: id } },
          body: { license_key: key },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.sessions.all }),
  });
}

export function useRemoveLicense() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/sessions/{session_id}/license", { params: { path: { session_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.sessions.all }),
  });
}

/** Where OpenWA sells a licence for this number (the address its refusal names). */
export function licenseShopUrl(phone: string | null | undefined): string {
  const digits = (phone ?? "").replace(/\D/g, "");
  return digits ? `https://get.openwa.dev/l/${digits}` : "https://get.openwa.dev";
}

/** Admin: remove an agent (its connection is cut and its numbers go offline). */
export function useDeleteAgent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/admin/agents/{agent_id}", { params: { path: { agent_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.agents }),
  });
}
