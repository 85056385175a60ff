import { toApiError } from "./errors";
import { tokenStore } from "./token";

/**
 * A fetch for answers the typed client cannot describe (CSV bodies, the import
 * preview) with the bearer token; non-2xx becomes an ApiError.
 */
export async function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = tokenStore.get();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await globalThis.fetch(new Request(new URL(path, globalThis.location?.origin ?? "http://localhost"), { ...init, headers }));
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw toApiError(response, body);
  }
  return response;
}

/** Fetches a file with the token and hands it to the browser as a download. */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const response = await rawFetch(path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** PUTs a file to a presigned URL, reporting upload progress (0..1). */
export function putWithProgress(url: string, file: Blob, contentType: string, onProgress: (share: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`The upload failed (${xhr.status}).`)));
    xhr.onerror = () => reject(new Error("The upload failed. Check your connection and try again."));
    xhr.send(file);
  });
}

/**
 * Uploads a file to a presigned POST (S3 checks its size and type): the form
 * fields first, the file last, reporting progress (0..1).
 */
export function postWithProgress(url: string, fields: Record<string, string>, file: Blob, contentType: string, onProgress: (share: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (contentType) form.set("Content-Type", contentType);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error(xhr.status === 400 || xhr.status === 403 ? "The file was refused: it is too large or not of an accepted type." : `The upload failed (${xhr.status}).`));
    xhr.onerror = () => reject(new Error("The upload failed. Check your connection and try again."));
    xhr.send(form);
  });
}

/** The API takes a phone in the path as digits alone (it adds the +), avoiding + encoding questions. */
export function phoneParam(phone: string): string {
  return phone.replace(/^\+/, "");
}
