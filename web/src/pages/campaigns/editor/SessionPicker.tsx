import { Link } from "react-router";
import { useSessions } from "../../../api/queries";
import { ErrorState, Loading } from "../../../components/ui";
import { tr } from "../../../i18n";

export function SessionPicker({ selected, onChange, error, locked }: { selected: string[]; onChange: (v: string[]) => void; error?: string | undefined; locked: boolean }) {
  const sessions = useSessions(10_000);
  if (sessions.isPending) return <Loading what={tr("numbers.what")} />;
  if (sessions.isError) return <ErrorState error={sessions.error} what={tr("numbers.what")} onRetry={() => sessions.refetch()} />;
  if (locked) {
    const labels = selected.map((id) => sessions.data.find((s) => s.session_id === id)?.label ?? id);
    return <p className="text-sm text-slate-700">{labels.join(", ")}. {tr("picker.fixed")}</p>;
  }
  const connected = sessions.data.filter((s) => s.status === "connected");
  if (connected.length === 0)
    return (
      <p className="text-sm text-slate-700">
        {tr("picker.none")}{" "}
        <Link to="/sessions" className="text-brand-700 underline">
          {tr("picker.link")}
        </Link>{" "}
        {tr("picker.first")}
      </p>
    );
  return (
    <fieldset>
      <legend className="mb-1 text-sm text-slate-700">{tr("picker.legend")}</legend>
      <div className="flex flex-col gap-1">
        {connected.map((s) => (
          <label key={s.session_id} className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={selected.includes(s.session_id)} onChange={() => onChange(selected.includes(s.session_id) ? selected.filter((x) => x !== s.session_id) : [...selected, s.session_id])} />
            {s.label} {s.phone && <span className="text-slate-600">+{s.phone.replace(/^\+/, "")}</span>}
          </label>
        ))}
      </div>
      {error && <p className="text-sm text-red-700">{error}</p>}
    </fieldset>
  );
}
