// A tiny toast store usable outside React (the API client raises 429 toasts).
export type ToastTone = "info" | "success" | "error";
export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
}

type Listener = (toasts: Toast[]) => void;
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<Listener>();

function emit() {
  listeners.forEach((listener) => listener(toasts));
}

export function showToast(message: string, tone: ToastTone = "info", ms = 6000): number {
  // The same message twice in a row (e.g. several throttled calls) shows once.
  const same = toasts.find((t) => t.message === message);
  if (same) return same.id;
  const id = nextId++;
  toasts = [...toasts, { id, tone, message }];
  emit();
  if (ms > 0) setTimeout(() => dismissToast(id), ms);
  return id;
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function subscribeToasts(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentToasts(): Toast[] {
  return toasts;
}
