import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { toApiError } from "./errors";
import { keys } from "./keys";
import type { components } from "./schema";
import { tokenStore } from "./token";

export type Conversation = components["schemas"]["Conversation"];
export type ConversationPage = components["schemas"]["ConversationPage"];
export type InboxSummary = components["schemas"]["InboxSummary"];
export type Thread = components["schemas"]["Thread"];

/** Polls are cheap: each answer's ETag is sent back, and a 304 keeps the last answer. */
const lastSeen = new Map<string, { etag: string; body: unknown }>();

export async function fetchWithEtag<T>(path: string): Promise<T> {
  const known = lastSeen.get(path);
  const headers = new Headers();
  const token = tokenStore.get();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (known) headers.set("If-None-Match", known.etag);
  const url = new URL(path, globalThis.location?.origin ?? "http://localhost");
  const response = await globalThis.fetch(new Request(url, { headers, cache: "no-store" }));
  if (response.status === 304 && known) return known.body as T;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw toApiError(response, body);
  const etag = response.headers.get("ETag");
  if (etag) lastSeen.set(path, { etag, body });
  return body as T;
}

export function forgetEtags() {
  lastSeen.clear();
}

export interface InboxFilters {
  q?: string;
  unread?: boolean;
  session_id?: string;
  campaign_id?: string;
  opted_out?: boolean;
  limit?: number;
}

export function conversationsPath(filters: InboxFilters): string {
  const params = new URLSearchParams();
  params.set("limit", String(filters.limit ?? 50));
  if (filters.q?.trim()) params.set("q", filters.q.trim());
  if (filters.unread) params.set("unread", "true");
  if (filters.session_id) params.set("session_id", filters.session_id);
  if (filters.campaign_id) params.set("campaign_id", filters.campaign_id);
  if (filters.opted_out !== undefined) params.set("opted_out", String(filters.opted_out));
  return `/api/conversations?${params.toString()}`;
}

export const INBOX_POLL_MS = 10_000;

/** The latest unread conversations (for the browser notifications; cheap when nothing changed). */
export function fetchUnreadConversations(limit = 20) {
  return fetchWithEtag<ConversationPage>(conversationsPath({ limit, unread: true }));
}

/** The unread count on "Inbox" in the navigation. */
export function useInboxSummary(pollMs: number | false = INBOX_POLL_MS) {
  return useQuery({
    queryKey: keys.inbox.summary,
    queryFn: () => fetchWithEtag<InboxSummary>("/api/conversations/summary"),
    refetchInterval: pollMs,
  });
}

export function useConversations(filters: InboxFilters, pollMs: number | false = INBOX_POLL_MS) {
  return useQuery({
    queryKey: keys.inbox.list(filters),
    queryFn: () => fetchWithEtag<ConversationPage>(conversationsPath(filters)),
    refetchInterval: pollMs,
    placeholderData: (previous) => previous,
  });
}

export function useThread(id: string | undefined, pollMs: number | false = INBOX_POLL_MS) {
  return useQuery({
    queryKey: keys.inbox.thread(id ?? ""),
    queryFn: () => unwrap(api.GET("/api/conversations/{conversation_id}/messages", { params: { path: { conversation_id: id! } } })),
    enabled: Boolean(id),
    refetchInterval: pollMs,
  });
}

export function useMarkConversationRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/conversations/{conversation_id}/read", { params: { path: { conversation_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.inbox.all }),
  });
}

export function useInboxSettings() {
  return useQuery({ queryKey: keys.inbox.settings, queryFn: () => unwrap(api.GET("/api/conversations/settings")) });
}

export function useSaveInboxSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (retention_days: number) => unwrap(api.PUT("/api/conversations/settings", { body: { retention_days } })),
    onSuccess: (data) => qc.setQueryData(keys.inbox.settings, data),
  });
}
