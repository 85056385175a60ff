import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Navigate, Outlet, Route, Routes, useLocation } from "react-router";
import { ApiError } from "./api/errors";
import { useMe } from "./api/queries";
import { AppShell } from "./components/AppShell";
import { Toaster } from "./components/Toaster";
import { ErrorState, Loading } from "./components/ui";
import { AuthProvider, useAuth } from "./lib/auth";
import { AdminPage } from "./pages/Admin";
import { DashboardPage } from "./pages/Dashboard";
import { NotFoundPage, NotYetPage } from "./pages/Misc";
import { SessionsPage } from "./pages/Sessions";
import { CampaignDetailPage } from "./pages/campaigns/CampaignDetail";
import { CampaignEditorPage } from "./pages/campaigns/CampaignEditor";
import { CampaignsPage } from "./pages/campaigns/Campaigns";
import { BillingPage } from "./pages/Billing";
import { hasApi } from "./lib/features";
import { ContactsPage } from "./pages/contacts/Contacts";
import { ImportWizardPage } from "./pages/contacts/ImportWizard";
import { SettingsPage } from "./pages/Settings";
import { InboxPage } from "./pages/inbox/Inbox";
import { OnboardingPage } from "./pages/Onboarding";
import { LoginPage } from "./pages/auth/Login";
import { RegisterPage } from "./pages/auth/Register";
import { ForgotPasswordPage, ResetPasswordPage } from "./pages/auth/Reset";

/**
 * 4xx answers will not change by asking again; network blips and 5xx might.
 * A 429 on a read is retried after its Retry-After: a page load fires a few
 * reads at once, and the limiter can refuse one of them briefly.
 */
export function shouldRetry(count: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status === 429) return count < 3;
  return !(error instanceof ApiError && error.status < 500) && count < 2;
}

export function retryDelay(attempt: number, error: unknown): number {
  if (error instanceof ApiError && error.status === 429) return (error.retryAfter ?? 1) * 1000;
  return Math.min(1000 * 2 ** attempt, 8000);
}

export function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache(),
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        retryDelay,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}

function RequireAuth() {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) {
    const next = location.pathname + location.search;
    return <Navigate to={`/auth/login${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  return <Outlet />;
}

function RedirectIfSignedIn({ children }: { children: ReactNode }) {
  const { token } = useAuth();
  return token ? <Navigate to="/dashboard" replace /> : <>{children}</>;
}

function RequireAdmin({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <Loading what="your account" />;
  if (me.isError) return <ErrorState error={me.error} what="your account" onRetry={() => me.refetch()} />;
  if (me.data.role !== "admin") return <NotFoundPage />;
  return <>{children}</>;
}

/** A new account answers the first-run step (country, time zone, language) once. */
function Onboarded({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.data && !me.data.onboarded && me.data.role !== "admin") return <Navigate to="/welcome" replace />;
  return <>{children}</>;
}

function WelcomeRoute() {
  const me = useMe();
  if (me.isPending) return <Loading what="your account" />;
  if (me.isError) return <ErrorState error={me.error} what="your account" onRetry={() => me.refetch()} />;
  return <OnboardingPage user={me.data} />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/auth/login" element={<RedirectIfSignedIn><LoginPage /></RedirectIfSignedIn>} />
      <Route path="/auth/register" element={<RedirectIfSignedIn><RegisterPage /></RedirectIfSignedIn>} />
      <Route path="/auth/forgot" element={<ForgotPasswordPage />} />
      <Route path="/auth/reset" element={<ResetPasswordPage />} />
      <Route element={<RequireAuth />}>
        <Route path="/welcome" element={<WelcomeRoute />} />
        <Route element={<Onboarded><AppShell /></Onboarded>}>
          <Route index element={<Navigate to="/dashboard" replace />} />
          <Route path="/dashboard" element={<DashboardPage />} />
          <Route path="/inbox" element={<InboxPage />} />
          <Route path="/inbox/:conversationId" element={<InboxPage />} />
          <Route path="/sessions" element={<SessionsPage />} />
          <Route path="/sessions/:sessionId" element={<SessionsPage />} />
          <Route path="/contacts" element={<ContactsPage />} />
          <Route path="/contacts/import" element={<ImportWizardPage />} />
          <Route path="/campaigns" element={<CampaignsPage />} />
          <Route path="/campaigns/new" element={<CampaignEditorPage />} />
          <Route path="/campaigns/:campaignId" element={<CampaignDetailPage />} />
          <Route path="/campaigns/:campaignId/edit" element={<CampaignEditorPage />} />
          <Route path="/billing" element={hasApi("/api/billing") ? <BillingPage /> : <NotYetPage title="Billing" what="Plans and billing" api="/api/billing" />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/admin" element={<RequireAdmin><AdminPage /></RequireAdmin>} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

export function App({ client }: { client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <AuthProvider>
        <AppRoutes />
        <Toaster />
      </AuthProvider>
    </QueryClientProvider>
  );
}
