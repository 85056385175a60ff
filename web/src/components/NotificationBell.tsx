import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";
import { useMarkRead, useNotifications } from "../api/queries";
import { timeAgo } from "../lib/format";
import { ErrorState, Spinner, cx } from "./ui";
import { tr } from "../i18n/current";

/** The bell in the top bar: unread notices, each can be marked read. */
export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const unread = useNotifications(true);
  const markRead = useMarkRead();
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const count = unread.data?.items.length ?? 0;
  const more = Boolean(unread.data?.next_cursor);

  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const label = count === 0 ? tr("bell.none") : tr("bell.unread", { count: `${count}${more ? "+" : ""}` });
  return (
    <div ref={root} className="relative">
      <button
        ref={button}
        type="button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((v) => !v)}
        className="relative rounded-full p-2 text-slate-700 hover:bg-slate-100"
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M15 17h5l-1.4-1.4A2 2 0 0 1 18 14.2V11a6 6 0 1 0-12 0v3.2a2 2 0 0 1-.6 1.4L4 17h5m6 0a3 3 0 1 1-6 0m6 0H9" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {count > 0 && (
          <span aria-hidden="true" className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold leading-5 text-white">
            {count > 9 || more ? "9+" : count}
          </span>
        )}
      </button>
      {open && (
        <div
          id={panelId}
          role="region"
          aria-label={tr("bell.panel")}
          className="fixed inset-x-2 top-14 z-30 max-h-[70vh] overflow-y-auto rounded-lg border border-slate-200 bg-white shadow-lg sm:absolute sm:inset-x-auto sm:right-0 sm:top-11 sm:w-96"
        >
          <h2 className="border-b border-slate-200 px-4 py-2 text-sm font-semibold">{tr("bell.title")}</h2>
          {unread.isPending ? (
            <div className="p-4">
              <Spinner label={tr("bell.loading")} />
            </div>
          ) : unread.isError ? (
            <div className="p-3">
              <ErrorState error={unread.error} what={tr("bell.what")} onRetry={() => unread.refetch()} />
            </div>
          ) : count === 0 ? (
            <p className="px-4 py-6 text-center text-sm text-slate-600">{tr("bell.caughtUp")}</p>
          ) : (
            <ul className="divide-y divide-slate-100">
              {unread.data.items.map((n) => (
                <li key={n.notification_id} className="flex gap-3 px-4 py-3">
                  <div className="min-w-0 flex-1">
                    <p className="text-sm font-medium">{n.title}</p>
                    <p className="text-sm text-slate-700">{n.body}</p>
                    {n.session_id && (
                      <Link to={`/sessions/${n.session_id}`} onClick={() => setOpen(false)} className="text-sm font-medium text-brand-700 underline">
                        {tr("bell.openNumber")}
                      </Link>
                    )}
                    <p className="mt-1 text-xs text-slate-500">{timeAgo(n.created_at)}</p>
                  </div>
                  <button aria-label={tr("bell.markReadFor", { title: n.title })}
                    type="button"
                    onClick={() => markRead.mutate(n.notification_id)}
                    disabled={markRead.isPending && markRead.variables === n.notification_id}
                    className={cx("self-start rounded px-2 py-1 text-xs font-medium text-brand-700 hover:bg-brand-50")}
                  >
                    {tr("bell.markRead")}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
