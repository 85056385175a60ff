import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { phoneParam, rawFetch } from "./raw";
import { useCursorList } from "./queries";
import type { ContactIn, ContactPatch, ImportPreview, ImportStart } from "./types";

export interface ContactFilter {
  q: string;
  tag: string;
  optedOut: "" | "true" | "false";
}

export function useContacts(filter: ContactFilter) {
  return useCursorList(
    ["contacts", "list", filter],
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
          },
        },
      }),
    ),
    false,
    true,
  );
}

export function useTags() {
  return useQuery({ queryKey: ["contacts", "tags"], queryFn: () => unwrap(api.GET("/api/contacts/tags")) });
}

function useInvalidateContacts() {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ queryKey: ["contacts"] });
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

export async function fetchPreview(importId: string): Promise<ImportPreview> {
  const response = await rawFetch(`/api/contacts/imports/${encodeURIComponent(importId)}/preview`);
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
    queryKey: ["contacts", "imports", importId],
    queryFn: () => unwrap(api.GET("/api/contacts/imports/{import_id}", { params: { path: { import_id: importId! } } })),
    enabled: importId !== null,
    refetchInterval: (query) => (query.state.data && importFinished(query.state.data.status) ? false : 2000),
  });
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
