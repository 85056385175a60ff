import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError, messageOf } from "../../api/errors";
import { INLINE_MAX, cancelImport, createImport, fetchPreview, fileToBase64, importErrorsLink, importFinished, startImport, useImport } from "../../api/contactsApi";
import { postWithProgress } from "../../api/raw";
import type { ImportPreview, ImportStart } from "../../api/types";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, ErrorState, Loading, PageHeader, SelectField, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { parseTags } from "./Contacts";

export const TARGETS: { value: string; label: string }[] = [
  { value: "ignore", label: "Ignore this column" },
  { value: "phone", label: "Phone" },
  { value: "phone_alt", label: "Second phone" },
  { value: "name", label: "Full name" },
  { value: "first_name", label: "First name" },
  { value: "last_name", label: "Last name" },
  { value: "email", label: "Email" },
  { value: "tags", label: "Tags" },
];

/** The custom-field key the API would make of a header (accents and symbols folded to _). */
export function fieldKey(header: string, index: number): string {
  const key = header
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  return key || `column_${index + 1}`;
}

type Step = { kind: "file" } | { kind: "map"; preview: ImportPreview } | { kind: "run"; importId: string };

export function ImportWizardPage() {
  const [step, setStep] = useState<Step>({ kind: "file" });
  return (
    <>
      <PageHeader title="Import contacts">
        <Link to="/contacts" className="text-sm font-medium text-brand-700 underline">
          Back to contacts
        </Link>
      </PageHeader>
      <ol className="mb-4 flex flex-wrap gap-2 text-sm" aria-label="Steps">
        {[
          ["file", "1. Choose a file"],
          ["map", "2. Match columns"],
          ["run", "3. Import"],
        ].map(([kind, label]) => (
          <li key={kind} aria-current={step.kind === kind ? "step" : undefined} className={step.kind === kind ? "rounded-full bg-brand-700 px-3 py-1 text-white" : "rounded-full bg-slate-100 px-3 py-1 text-slate-700"}>
            {label}
          </li>
        ))}
      </ol>
      {step.kind === "file" && <FileStep onPreview={(preview) => setStep({ kind: "map", preview })} />}
      {step.kind === "map" && <MapStep preview={step.preview} onStarted={(importId) => setStep({ kind: "run", importId })} onBack={() => setStep({ kind: "file" })} />}
      {step.kind === "run" && <RunStep importId={step.importId} onAnother={() => setStep({ kind: "file" })} />}
    </>
  );
}

function FileStep({ onPreview }: { onPreview: (preview: ImportPreview) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError("Choose a CSV file first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      let importId: string;
      if (file.size <= INLINE_MAX) {
        const created = await createImport(file.name, await fileToBase64(file));
        importId = created.import.import_id;
      } else {
        const created = await createImport(file.name, null);
        importId = created.import.import_id;
        if (!created.upload) throw new Error("The server gave no upload address.");
        if (file.size > created.upload.max_bytes) throw new Error(`The file is larger than ${Math.round(created.upload.max_bytes / 1e6)} MB.`);
        setProgress(0);
        await postWithProgress(created.upload.url, created.upload.fields ?? {}, file, "text/csv", setProgress);
      }
      onPreview(await fetchPreview(importId));
    } catch (e) {
      setError(e instanceof ApiError && e.code === "not_csv" ? `This does not look like a CSV file: ${e.message}` : messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Choose a CSV file">
      <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4" noValidate>
        {error && <Alert>{error}</Alert>}
        <div className="flex flex-col gap-1">
          <label htmlFor="import-file" className="text-sm font-medium text-slate-800">
            CSV file
          </label>
          <input
            id="import-file"
            type="file"
            accept=".csv,.txt,text/csv,text/plain"
            aria-describedby="import-file-hint"
            className="text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-2"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
          <p id="import-file-hint" className="text-xs text-slate-600">
            Any spreadsheet saved as CSV: commas, semicolons or tabs, any common encoding. One row per contact, with a phone number column.
          </p>
        </div>
        {progress !== null && (
          <div>
            <p className="mb-1 text-sm text-slate-700">Uploading… {Math.round(progress * 100)}%</p>
            <ProgressBar value={progress} label="Upload progress" />
          </div>
        )}
        <div>
          <Button type="submit" busy={busy}>
            Upload and preview
          </Button>
        </div>
      </form>
    </Card>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200">
      <div className="h-full rounded-full bg-brand-600 transition-[width]" style={{ width: `${pct}%` }} />
    </div>
  );
}

const DELIMITERS: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe" };

function MapStep({ preview, onStarted, onBack }: { preview: ImportPreview; onStarted: (id: string) => void; onBack: () => void }) {
  const [mapping, setMapping] = useState<Record<string, string>>(() => Object.fromEntries(preview.columns.map((c) => [String(c.index), c.suggested])));
  const [tags, setTags] = useState("");
  const [mode, setMode] = useState<ImportStart["mode"]>("add");
  const [region, setRegion] = useState(preview.default_region ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = formErrors(error, ["mapping", "tags", "mode", "default_region"]);
  const hasPhone = Object.values(mapping).includes("phone");

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!hasPhone) {
      setError(new Error("Choose which column holds the phone number."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const view = await startImport(preview.import_id, { mapping, tags: parseTags(tags), mode, default_region: region.trim().toUpperCase() || null });
      onStarted(view.import_id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4" noValidate>
      <Card title="What we found">
        <p className="text-sm text-slate-700">
          Encoding <strong>{preview.encoding}</strong>, separated by <strong>{DELIMITERS[preview.delimiter] ?? preview.delimiter}</strong>,{" "}
          {preview.has_header ? "first row is a header" : "no header row"}. Showing the first {preview.rows.length} rows.
        </p>
        {preview.row_errors.length > 0 && (
          <div className="mt-2">
            <Alert tone="warning" title="Some rows could not be read">
              {preview.row_errors.slice(0, 3).map((r) => (
                <p key={r.offset}>{r.reason}</p>
              ))}
            </Alert>
          </div>
        )}
      </Card>
      <Card title="Match columns">
        {errors.fields.mapping && <Alert>{errors.fields.mapping}</Alert>}
        <div className="overflow-x-auto">
          <table className="min-w-full text-left text-sm">
            <caption className="sr-only">Columns of the file and what each holds</caption>
            <thead className="text-xs uppercase text-slate-600">
              <tr>
                <th scope="col" className="px-2 py-2">Column</th>
                <th scope="col" className="px-2 py-2">Examples</th>
                <th scope="col" className="px-2 py-2">Import as</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {preview.columns.map((c) => {
                const key = String(c.index);
                const title = c.header || `Column ${c.index + 1}`;
                const custom = `field:${fieldKey(c.header, c.index)}`;
                const options = [...TARGETS, { value: custom, label: `Custom field “${custom.slice(6)}”` }];
                const current = mapping[key] ?? "ignore";
                if (!options.some((o) => o.value === current)) options.push({ value: current, label: current.replace(/^field:/, "Custom field ") });
                return (
                  <tr key={key}>
                    <th scope="row" className="px-2 py-2 font-medium">{title}</th>
                    <td className="max-w-48 truncate px-2 py-2 text-slate-600">{c.sample.slice(0, 3).join(" · ") || "—"}</td>
                    <td className="px-2 py-2">
                      <label className="sr-only" htmlFor={`map-${key}`}>
                        Import {title} as
                      </label>
                      <select id={`map-${key}`} value={current} onChange={(e) => setMapping({ ...mapping, [key]: e.target.value })} className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-base sm:text-sm">
                        {options.map((o) => (
                          <option key={o.value} value={o.value}>
                            {o.label}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {!hasPhone && <p className="mt-2 text-sm text-amber-800">No column is imported as Phone yet.</p>}
      </Card>
      <Card title="Options">
        <div className="grid gap-3 sm:grid-cols-3">
          <TextField label="Tags for everyone in this file" hint="Separated by commas" value={tags} onChange={(e) => setTags(e.target.value)} error={errors.fields.tags} />
          <SelectField label="Mode" value={mode} onChange={(e) => setMode(e.target.value as ImportStart["mode"])} error={errors.fields.mode}>
            <option value="add">Add new contacts (existing ones get the tags)</option>
            <option value="update">Add and update existing contacts</option>
            <option value="opt_out">Opt these numbers out</option>
          </SelectField>
          <TextField label="Default country" hint="Two letters, for numbers without a country code (e.g. GB, BR)" maxLength={2} value={region} onChange={(e) => setRegion(e.target.value)} error={errors.fields.default_region} />
        </div>
      </Card>
      {errors.form && <Alert>{errors.form}</Alert>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={busy}>
          Start import
        </Button>
        <Button variant="secondary" onClick={onBack}>
          Choose another file
        </Button>
      </div>
    </form>
  );
}

const COUNTERS: [keyof CountersView, string][] = [
  ["rows_read", "Rows read"],
  ["created", "Created"],
  ["updated", "Updated"],
  ["existing", "Already there"],
  ["duplicates", "Duplicates"],
  ["invalid", "Invalid"],
  ["already_opted_out", "Already opted out"],
];
type CountersView = { rows_read: number; created: number; updated: number; existing: number; duplicates: number; invalid: number; already_opted_out: number };

const IMPORT_STATES: Record<string, string> = {
  queued: "Waiting to start",
  running: "Importing",
  completed: "Finished",
  failed: "Failed",
  cancelled: "Cancelled",
};

function RunStep({ importId, onAnother }: { importId: string; onAnother: () => void }) {
  const job = useImport(importId);
  const qc = useQueryClient();
  const [cancelling, setCancelling] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const finished = job.data ? importFinished(job.data.status) : false;
  useEffect(() => {
    if (finished) void qc.invalidateQueries({ queryKey: ["contacts"], predicate: (q) => q.queryKey[1] !== "imports" });
  }, [finished, qc]);
  if (job.isPending) return <Loading what="the import" />;
  if (job.isError) return <ErrorState error={job.error} what="the import" onRetry={() => job.refetch()} />;
  const view = job.data;
  const done = finished;

  const onCancel = async () => {
    setCancelling(true);
    try {
      qc.setQueryData(["contacts", "imports", importId], await cancelImport(importId));
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setCancelling(false);
    }
  };
  const onReport = async () => {
    try {
      const link = await importErrorsLink(importId);
      window.location.assign(link.url);
    } catch (e) {
      setProblem(messageOf(e));
    }
  };

  return (
    <Card title={`${view.filename}: ${IMPORT_STATES[view.status] ?? view.status}`}>
      <div aria-live="polite" className="flex flex-col gap-3">
        <ProgressBar value={view.status === "completed" ? 1 : view.progress} label="Import progress" />
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="import-counters">
          {COUNTERS.map(([key, label]) => (
            <div key={key} className="rounded-md bg-slate-50 p-2">
              <dt className="text-xs text-slate-600">{label}</dt>
              <dd className="text-lg font-semibold">{view[key].toLocaleString()}</dd>
            </div>
          ))}
        </dl>
        {view.error && <Alert>{view.error}</Alert>}
        {problem && <Alert>{problem}</Alert>}
        {view.status === "completed" && <Alert tone="success">The import is finished.</Alert>}
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        {!done && (
          <Button variant="danger" busy={cancelling} onClick={() => void onCancel()}>
            Cancel import
          </Button>
        )}
        {done && (view.invalid > 0 || view.warnings > 0) && (
          <Button variant="secondary" onClick={() => void onReport()}>
            Download error report
          </Button>
        )}
        {done && (
          <>
            <Link to="/contacts" className="inline-flex items-center rounded-md bg-brand-700 px-4 py-2 text-sm font-medium text-white hover:bg-brand-800">
              See contacts
            </Link>
            <Button variant="secondary" onClick={onAnother}>
              Import another file
            </Button>
          </>
        )}
      </div>
    </Card>
  );
}
