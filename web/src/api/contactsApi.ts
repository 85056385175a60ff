import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import { downloadFile, phoneParam, postWithProgress, rawFetch } from "./raw";
import { useCursorList } from "./queries";
import type { ContactIn, ContactPatch, ImportPreview, ImportStart, ImportView } from "./types";

export interface ContactFilter {
  q: string;
  tag: string;
  optedOut: "" | "true" | "false";
  field?: string;
  fieldValue?: string;
}

export function useContacts(filter: ContactFilter) {
  return useCursorList(
    keys.contacts.list(filter),
    (cursor) =>
      unwrap(
      api.GET("/api/contacts", {
        params: {
          query: {
            limit: 50,
            cursor,
            q: filter.q.trim() || undefined,
            tag: filter.tag || undefined,
            opted_out: filter.optedOut === "" ? undefined : filter.optedOut === "true",
            field: filter.field && filter.fieldValue?.trim() ? filter.field : undefined,
            field_value: filter.field && filter.fieldValue?.trim() ? filter.fieldValue.trim() : undefined,
          },
        },
      }),
    ),
    false,
    true,
  );
}

export function useTags() {
  return useQuery({ queryKey: keys.contacts.tags, queryFn: () => unwrap(api.GET("/api/contacts/tags")) });
}

function useInvalidateContacts() {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: keys.contacts.all });
}

export function useCreateContact() {
  const done = useInvalidateContacts();
  return useMutation({ mutationFn: (body: ContactIn) => unwrap(api.POST("/api/contacts", { body })), onSuccess: done });
}

export function useUpdateContact() {
  const done = useInvalidateContacts();
  return useMutation({
    mutationFn: ({ phone, body }: { phone: string; body: ContactPatch }) =>
      unwrap(api.PATCH("/api/contacts/{phone}", { params: { path: { phone: phoneParam(phone) } }, body })),
    onSuccess: done,
  });
}

export function useDeleteContact() {
  const done = useInvalidateContacts();
  return useMutation({
    mutationFn: (phone: string) => unwrap(api.DELETE("/api/contacts/{phone}", { params: { path: { phone: phoneParam(phone) } } })),
    onSuccess: done,
  });
}

export function useSetOptOut() {
  const done = useInvalidateContacts();
  return useMutation({
    mutationFn: ({ phone, optOut }: { phone: string; optOut: boolean }) =>
      optOut
        ? unwrap(api.POST("/api/contacts/{phone}/opt-out", { params: { path: { phone: phoneParam(phone) } }, body: { source: "web" } }))
        : unwrap(api.POST("/api/contacts/{phone}/opt-in", { params: { path: { phone: phoneParam(phone) } } })),
    onSuccess: done,
  });
}

/** Files up to this size go inline in the create call; larger ones to the presigned URL. */
export const INLINE_MAX = 1_000_000;

export async function createImport(filename: string, content: string | null) {
  return unwrap(api.POST("/api/contacts/imports", { body: content === null ? { filename } : { filename, content_base64: content } }));
}

/** Sends a large file to the import's presigned upload (progress 0..1). */
export function uploadImportFile(upload: { url: string; fields?: Record<string, string> | null }, file: Blob, onProgress: (share: number) => void) {
  return postWithProgress(upload.url, upload.fields ?? {}, file, "text/csv", onProgress);
}

export async function fetchPreview(importId: string, region?: string): Promise<ImportPreview> {
  const query = region ? `?region=${encodeURIComponent(region)}` : "";
  const response = await rawFetch(`/api/contacts/imports/${encodeURIComponent(importId)}/preview${query}`);
  return (await response.json()) as ImportPreview;
}

export function startImport(importId: string, body: ImportStart) {
  return unwrap(api.POST("/api/contacts/imports/{import_id}/start", { params: { path: { import_id: importId } }, body }));
}

export function cancelImport(importId: string) {
  return unwrap(api.POST("/api/contacts/imports/{import_id}/cancel", { params: { path: { import_id: importId } } }));
}

export function importErrorsLink(importId: string) {
  return unwrap(api.GET("/api/contacts/imports/{import_id}/errors", { params: { path: { import_id: importId } } }));
}

const IMPORT_DONE = new Set(["completed", "failed", "cancelled"]);
export const importFinished = (status: string) => IMPORT_DONE.has(status);

export function useImport(importId: string | null) {
  return useQuery({
    queryKey: keys.contacts.import(importId),
    queryFn: () => unwrap(api.GET("/api/contacts/imports/{import_id}", { params: { path: { import_id: importId! } } })),
    enabled: importId !== null,
    refetchInterval: (query) => (query.state.data && importFinished(query.state.data.status) ? false : 2000),
  });
}

/** Once an import ends, the contacts, tags and counts it changed reload (the import itself stays as shown). */
export function useRefreshImportedContacts() {
  const qc = useQueryClient();
  return useCallback(() => void qc.invalidateQueries({ queryKey: keys.contacts.all, predicate: (q) => q.queryKey[1] !== keys.contacts.imports[1] }), [qc]);
}

/** Cancels an import and shows its answer at once. */
export function useCancelImport() {
  const qc = useQueryClient();
  return useCallback(
    async (importId: string): Promise<ImportView> => {
      const view = await cancelImport(importId);
      qc.setQueryData(keys.contacts.import(importId), view);
      return view;
    },
    [qc],
  );
}

/** Reads a file as base64 (without the data: prefix). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("Could not read the file."));
    reader.readAsDataURL(file);
  });
}

export function useOptOutWords() {
  return useQuery({ queryKey: keys.contacts.optOutWords, queryFn: () => unwrap(api.GET("/api/contacts/opt-out-words")) });
}

export function useOptOutReviews() {
  return useCursorList(
    keys.contacts.optOutReviews,
    (cursor) => unwrap(api.GET("/api/contacts/opt-out-reviews", { params: { query: { limit: 20, cursor, status: "open" } } })),
    30_000,
  );
}

export function useDecideReview() {
  const done = useInvalidateContacts();
  return useMutation({
    mutationFn: ({ reviewId, confirm }: { reviewId: string; confirm: boolean }) =>
      confirm
        ? unwrap(api.POST("/api/contacts/opt-out-reviews/{review_id}/confirm", { params: { path: { review_id: reviewId } } }))
        : unwrap(api.POST("/api/contacts/opt-out-reviews/{review_id}/dismiss", { params: { path: { review_id: reviewId } } })),
    onSuccess: done,
  });
}

export function checkOptOutWords(text: string) {
  return unwrap(api.POST("/api/contacts/opt-out-words/check", { body: { text } }));
}

/** Words the text asks people to reply, and whether each opts anyone out on this account. */
export function useOptOutCheck(text: string) {
  return useQuery({
    queryKey: keys.contacts.optOutCheck(text),
    queryFn: () => checkOptOutWords(text),
    enabled: text.trim().length > 0,
    staleTime: 60_000,
  });
}

function exportQuery(tag: string): string {
  return tag ? `tag=${encodeURIComponent(tag)}` : "";
}

/** Downloads the contacts (those with `tag`, or all) as CSV; over 5 MB the API refuses with 413 (see contactsExportLink). */
export function downloadContactsExport(tag: string) {
  const query = exportQuery(tag);
  return downloadFile(`/api/contacts/export${query ? `?${query}` : ""}`, tag ? `contacts-${tag}.csv` : "contacts.csv");
}

/** A download link for an export too large to answer inline. */
export async function contactsExportLink(tag: string): Promise<{ url: string }> {
  const query = exportQuery(tag);
  return (await (await rawFetch(`/api/contacts/export?delivery=url${query ? `&${query}` : ""}`)).json()) as { url: string };
}

/** Everything stored about one contact, as a JSON download. */
export function downloadContactData(phone: string) {
  return downloadFile(`/api/contacts/${phoneParam(phone)}/data`, `contact-${phone.replace(/\D/g, "")}.json`);
}
