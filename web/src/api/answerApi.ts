import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import { postWithProgress } from "./raw";
import type { components } from "./schema";

export type QuickReply = components["schemas"]["QuickReply"];
export type Answer = components["schemas"]["Answer"];

/** The account's quick replies; with a conversation, each also comes filled for its contact. */
export function useQuickReplies(conversationId?: string) {
  return useQuery({
    queryKey: keys.quickReplies.forConversation(conversationId),
    queryFn: () => unwrap(api.GET("/api/quick-replies", { params: { query: conversationId ? { conversation_id: conversationId } : {} } })),
  });
}

export function useSaveQuickReply() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name, text }: { id?: string; name: string; text: string }) =>
      id
        ? unwrap(api.PUT("/api/quick-replies/{quick_reply_id}", { params: { path: { quick_reply_id: id } }, body: { name, text } }))
        : unwrap(api.POST("/api/quick-replies", { body: { name, text } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.quickReplies.all }),
  });
}

export function useDeleteQuickReply() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/quick-replies/{quick_reply_id}", { params: { path: { quick_reply_id: id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.quickReplies.all }),
  });
}

export interface AnswerInput {
  text: string;
  image?: File | null;
  /** The same for a retry of one answer, so it is sent once. */
  clientId: string;
  onProgress?: (share: number) => void;
}

/** Send an answer: the image (if any) goes to its upload slot first, then the answer itself. */
export function useSendAnswer(conversationId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ text, image, clientId, onProgress }: AnswerInput) => {
      let upload_key: string | undefined;
      if (image) {
        const slot = await unwrap(api.POST("/api/conversations/{conversation_id}/media/upload", { params: { path: { conversation_id: conversationId } } }));
        await postWithProgress(slot.upload_url, slot.upload_fields, image, image.type.startsWith("image/") ? image.type : "image/jpeg", onProgress ?? (() => undefined));
        upload_key = slot.upload_key;
      }
      return unwrap(
        api.POST("/api/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: conversationId } },
          body: { text, client_id: clientId, ...(upload_key ? { upload_key } : {}) },
        }),
      );
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.inbox.thread(conversationId) }),
  });
}

export function newClientId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export type NumberTyping = components["schemas"]["NumberTyping"];

/** Each number's "show typing" setting. */
export function useTypingNumbers() {
  return useQuery({ queryKey: keys.inbox.typingNumbers, queryFn: () => unwrap(api.GET("/api/conversations/numbers")) });
}

export function useSetTyping() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ sessionId, on }: { sessionId: string; on: boolean }) =>
      unwrap(api.PUT("/api/conversations/numbers/{session_id}/typing", { params: { path: { session_id: sessionId } }, body: { show_typing: on } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.inbox.typingNumbers }),
  });
}

/** The daily email digest of unread conversations: "off" or "daily". */
export function useSetDigest() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ retentionDays, digest }: { retentionDays: number; digest: "off" | "daily" }) =>
      unwrap(api.PUT("/api/conversations/settings", { body: { retention_days: retentionDays, digest } })),
    onSuccess: (data) => qc.setQueryData(keys.inbox.settings, data),
  });
}
