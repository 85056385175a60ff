import { Link } from "react-router";
import { Card, PageHeader } from "../components/ui";
import { hasApi } from "../lib/features";
import { tr } from "../i18n";

/** Honest pages for areas the web app does not cover yet: they say so, nothing more. */
export function NotYetPage({ title, what, api }: { title: string; what: string; api: string }) {
  return (
    <>
      <PageHeader title={title} />
      <Card>
        <p className="text-sm text-slate-700">
          {hasApi(api)
            ? `${what} is not in the web app yet; it is available through the API (${api}).`
            : `${what} is not available in this version of wacast yet.`}
        </p>
      </Card>
    </>
  );
}

export function NotFoundPage() {
  return (
    <>
      <PageHeader title={tr("notFound.title")} />
      <p className="text-sm text-slate-700">
        {tr("notFound.text")} <Link className="text-brand-700 underline" to="/dashboard">{tr("notFound.link")}</Link>.
      </p>
    </>
  );
}
