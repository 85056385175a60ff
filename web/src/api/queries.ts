import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback } from "react";
import { api, unwrap } from "./client";
import { ApiError } from "./errors";
import { keys } from "./keys";
import type { ProfilePatch } from "./types";

interface CursorPage<T> {
  items: T[];
  next_cursor?: string | null;
}

/**
 * A cursor-paginated list (the API's `Page[T]`): `data` is every item loaded so
 * far; `fetchNextPage()` while `hasNextPage` (see <LoadMore>). Lists such as
 * contacts and campaign recipients use the same shape.
 */
export function useCursorList<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
  refetchInterval: number | false = false,
  keepPrevious = false,
) {
  return useInfiniteQuery({
    // A list whose filters change (search as you type) keeps showing the last answer meanwhile.
    placeholderData: keepPrevious ? keepPreviousData : undefined,
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: CursorPage<T>) => last.next_cursor ?? undefined,
    select: (data) => data.pages.flatMap((p) => p.items),
    refetchInterval,
  });
}

export function useMe(enabled = true) {
  return useQuery({
    queryKey: keys.me,
    queryFn: () => unwrap(api.GET("/api/me")),
    enabled,
    staleTime: 60_000,
  });
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ProfilePatch) => unwrap(api.PATCH("/api/me", { body })),
    onSuccess: (user) => qc.setQueryData(keys.me, user),
  });
}

/** Numbers change state on their own (QR, scan, agent offline), so the list polls. */
export function useSessions(pollMs = 5000) {
  return useCursorList(
    keys.sessions.list,
    (cursor) => unwrap(api.GET("/api/sessions", { params: { query: { limit: 100, cursor } } })),
    pollMs,
  );
}

export function useSession(id: string | null, pollMs: number | false = 1500) {
  return useQuery({
    queryKey: keys.sessions.detail(id ?? ""),
    queryFn: () =>
      unwrap(api.GET("/api/sessions/{session_id}", { params: { path: { session_id: id! } } })),
    enabled: id !== null,
    refetchInterval: pollMs,
  });
}

/** The QR while the number waits for a scan; null (not an error) when there is none (409). */
export function useQr(id: string | null, enabled: boolean) {
  return useQuery({
    queryKey: keys.sessions.qr(id ?? ""),
    queryFn: async () => {
      try {
        return await unwrap(
          api.GET("/api/sessions/{session_id}/qr", { params: { path: { session_id: id! } } }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) return null;
        throw error;
      }
    },
    enabled: id !== null && enabled,
    refetchInterval: 1500,
  });
}

/** Refreshes the numbers list alone (not each number's own queries). */
export function useRefreshSessionList() {
  const qc = useQueryClient();
  return useCallback(() => void qc.invalidateQueries({ queryKey: keys.sessions.list, exact: true }), [qc]);
}

export function useCreateSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (label: string) => unwrap(api.POST("/api/sessions", { body: { label } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.sessions.all }),
  });
}

export function useRestartSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/sessions/{session_id}/restart", { params: { path: { session_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.sessions.all }),
  });
}

export function useDeleteSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/sessions/{session_id}", { params: { path: { session_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.sessions.all }),
  });
}

export function useNotifications(unread: boolean, limit = 20) {
  return useQuery({
    queryKey: keys.notifications.list(unread),
    queryFn: () => unwrap(api.GET("/api/notifications", { params: { query: { unread, limit } } })),
    refetchInterval: 15_000,
  });
}

export function useMarkRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/notifications/{notification_id}/read", {
          params: { path: { notification_id: id } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.notifications.all }),
  });
}

export function useAgents() {
  return useCursorList(
    keys.agents,
    (cursor) => unwrap(api.GET("/api/admin/agents", { params: { query: { limit: 100, cursor } } })),
    10_000,
  );
}

export function useCreateAgent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; capacity: number }) =>
      unwrap(api.POST("/api/admin/agents", { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.agents }),
  });
}

export function useRotateAgentToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/admin/agents/{agent_id}/rotate-token", { params: { path: { agent_id: id } } }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.agents }),
  });
}

export function useTokens() {
  return useCursorList(keys.tokens, (cursor) =>
    unwrap(api.GET("/api/auth/tokens", { params: { query: { limit: 50, cursor } } })),
  );
}

export function useRevokeToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/auth/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.tokens }),
  });
}
