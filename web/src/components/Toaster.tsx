import { useEffect, useState } from "react";
import { currentToasts, dismissToast, subscribeToasts, type Toast } from "../lib/toast";
import { cx } from "./ui";
import { tr } from "../i18n/current";

export function Toaster() {
  const [toasts, setToasts] = useState<Toast[]>(currentToasts);
  useEffect(() => subscribeToasts(setToasts), []);
  return (
    <div aria-live="polite" className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-2 p-4 sm:items-end">
      {toasts.map((toast) => (
        <div
          key={toast.id}
          role={toast.tone === "error" ? "alert" : "status"}
          className={cx(
            "pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-lg px-4 py-3 text-sm shadow-lg",
            toast.tone === "error" ? "bg-red-800 text-white" : toast.tone === "success" ? "bg-emerald-800 text-white" : "bg-slate-800 text-white",
          )}
        >
          <p className="flex-1">{toast.message}</p>
          <button type="button" onClick={() => dismissToast(toast.id)} aria-label={tr("ui.dismiss")} className="rounded px-1 text-white/80 hover:text-white">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
