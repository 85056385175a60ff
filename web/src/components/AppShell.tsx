import { useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useInboxSummary } from "../api/inboxApi";
import { useMe } from "../api/queries";
import { useAuth } from "../lib/auth";
import { Logo } from "../pages/auth/AuthLayout";
import { NotificationBell } from "./NotificationBell";
import { ReplyNotifier } from "../pages/inbox/ReplyNotifier";
import { cx } from "./ui";
import { useI18n, type MessageKey } from "../i18n";

const NAV: { to: string; label: MessageKey }[] = [
  { to: "/dashboard", label: "nav.dashboard" },
  { to: "/inbox", label: "nav.inbox" },
  { to: "/sessions", label: "nav.numbers" },
  { to: "/contacts", label: "nav.contacts" },
  { to: "/campaigns", label: "nav.campaigns" },
  { to: "/billing", label: "nav.billing" },
];

export function AppShell() {
  const me = useMe();
  const { signOut } = useAuth();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const { t, lang } = useI18n();
  const items = me.data?.role === "admin" ? [...NAV, { to: "/admin", label: "nav.admin" as MessageKey }] : NAV;

  const links = (
    <ul className="flex flex-col gap-1 md:flex-row md:items-center">
      {items.map((item) => (
        <li key={item.to}>
          <NavLink
            to={item.to}
            onClick={() => setMenuOpen(false)}
            className={({ isActive }) =>
              cx(
                "block rounded-md px-3 py-2 text-sm font-medium",
                isActive ? "bg-brand-50 text-brand-800" : "text-slate-700 hover:bg-slate-100",
              )
            }
          >
            {t(item.label)}
            {item.to === "/inbox" && <InboxBadge />}
          </NavLink>
        </li>
      ))}
    </ul>
  );

  return (
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        {t("nav.skip")}
      </a>
      <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-2 px-3 sm:px-6">
          <button
            type="button"
            className="rounded-md p-2 text-slate-700 hover:bg-slate-100 md:hidden"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            aria-label={menuOpen ? t("nav.closeMenu") : t("nav.openMenu")}
            onClick={() => setMenuOpen((v) => !v)}
          >
            <svg aria-hidden="true" viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="2">
              <path d={menuOpen ? "M6 6l12 12M18 6 6 18" : "M4 7h16M4 12h16M4 17h16"} strokeLinecap="round" />
            </svg>
          </button>
          <NavLink to="/dashboard" className="flex items-center gap-2 font-bold text-brand-700">
            <Logo /> <span>wacast</span>
          </NavLink>
          <nav aria-label={t("nav.main")} className="ml-4 hidden md:block">
            {links}
          </nav>
          <div className="ml-auto flex items-center gap-1">
            {/* On a phone the menu is folded: the inbox and its count stay in sight. */}
            <NavLink to="/inbox" className="flex items-center rounded-full p-2 text-slate-700 hover:bg-slate-100 md:hidden">
              <svg aria-hidden="true" viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="1.8">
                <path d="M4 5h16v11H8l-4 4V5Z" strokeLinejoin="round" />
              </svg>
              <span className="sr-only">{t("nav.inbox")}</span>
              <InboxBadge />
            </NavLink>
            <NotificationBell />
            <ReplyNotifier />
            <NavLink
              to="/settings"
              className={({ isActive }) => cx("hidden max-w-40 truncate rounded-md px-3 py-2 text-sm sm:block", isActive ? "bg-brand-50 text-brand-800" : "text-slate-700 hover:bg-slate-100")}
              title={t("nav.settings")}
            >
              {me.data?.name ?? t("nav.settings")}
            </NavLink>
            <button type="button" onClick={() => void signOut()} className="rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
              {t("nav.signOut")}
            </button>
          </div>
        </div>
        {menuOpen && (
          <nav id="main-nav" aria-label={t("nav.main")} className="border-t border-slate-200 px-3 py-2 md:hidden">
            {links}
            <NavLink to="/settings" onClick={() => setMenuOpen(false)} className="mt-1 block rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
              {t("nav.settings")}
            </NavLink>
          </nav>
        )}
      </header>
      <main id="main" key={`${location.pathname}:${lang}`} className="mx-auto max-w-6xl px-3 py-6 sm:px-6">
        <Outlet />
      </main>
    </div>
  );
}

/** Unread conversations on "Inbox" (polled with an ETag, so mostly 304s). */
function InboxBadge() {
  const { p } = useI18n();
  const summary = useInboxSummary();
  const count = summary.data?.unread_conversations ?? 0;
  if (count === 0) return null;
  return (
    <span data-testid="inbox-badge" className="ml-1.5 inline-block min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold leading-5 text-white">
      <span aria-hidden="true">{count > 99 ? "99+" : count}</span>
      <span className="sr-only">, {p("nav.unread", count)}</span>
    </span>
  );
}
