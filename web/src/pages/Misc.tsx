import { Link } from "react-router";
import { Card, PageHeader } from "../components/ui";

/** Honest pages for areas whose APIs are not there yet: they say so, nothing more. */
export function NotYetPage({ title, what }: { title: string; what: string }) {
  return (
    <>
      <PageHeader title={title} />
      <Card>
        <p className="text-sm text-slate-700">{what} is not available in this version of wacast yet.</p>
      </Card>
    </>
  );
}

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p className="text-sm text-slate-700">
        There is nothing at this address. <Link className="text-brand-700 underline" to="/dashboard">Go to the dashboard</Link>.
      </p>
    </>
  );
}
