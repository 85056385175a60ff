import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError, messageOf } from "../../api/errors";
import { INLINE_MAX, createImport, fetchPreview, fileToBase64, importErrorsLink, importFinished, startImport, uploadImportFile, useCancelImport, useImport, useRefreshImportedContacts } from "../../api/contactsApi";
import type { ImportPreview, ImportStart } from "../../api/types";
import { Alert, Button, Card, ErrorState, Loading, PageHeader, SelectField, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { parseTags } from "./Contacts";
import { formatPercent } from "../../lib/format";
import { useI18n, type MessageKey } from "../../i18n";
import { REGIONS } from "../../i18n/locale";

export const TARGETS = ["ignore", "phone", "phone_alt", "name", "first_name", "last_name", "email", "tags"] as const;

/** What the file picker offers: CSV and its cousins, and Excel workbooks. */
export const ACCEPTED_FILES = ".csv,.txt,.tsv,.xlsx,text/csv,text/plain,text/tab-separated-values,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("import.title")}>
        <Link to="/contacts" className="text-sm font-medium text-brand-700 underline">
          {t("import.back")}
        </Link>
      </PageHeader>
      <ol className="mb-4 flex flex-wrap gap-2 text-sm" aria-label="Steps">
        {[
          ["file", t("import.step.file")],
          ["map", t("import.step.map")],
          ["run", t("import.step.run")],
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
  const { t } = useI18n();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError(t("import.file.choose"));
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
        await uploadImportFile(created.upload, file, setProgress);
      }
      onPreview(await fetchPreview(importId));
    } catch (e) {
      setError(e instanceof ApiError && (e.code === "not_csv" || e.code === "not_xlsx") ? t("import.file.notCsv", { message: e.message }) : messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t("import.file.title")}>
      <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4" noValidate>
        {error && <Alert>{error}</Alert>}
        <div className="flex flex-col gap-1">
          <label htmlFor="import-file" className="text-sm font-medium text-slate-800">
            {t("import.file.label")}
          </label>
          <input
            id="import-file"
            type="file"
            accept={ACCEPTED_FILES}
            aria-describedby="import-file-hint"
            className="text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-2"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
          <p id="import-file-hint" className="text-xs text-slate-600">
            {t("import.file.hint")}
          </p>
        </div>
        {progress !== null && (
          <div>
            <p className="mb-1 text-sm text-slate-700">{t("import.file.uploading", { percent: formatPercent(progress) })}</p>
            <ProgressBar value={progress} label={t("import.uploadProgress")} />
          </div>
        )}
        <div>
          <Button type="submit" busy={busy}>
            {t("import.file.submit")}
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

function MapStep({ preview: first, onStarted, onBack }: { preview: ImportPreview; onStarted: (id: string) => void; onBack: () => void }) {
  const [preview, setPreview] = useState(first);
  const [mapping, setMapping] = useState<Record<string, string>>(() => Object.fromEntries(first.columns.map((c) => [String(c.index), c.suggested])));
  const [tags, setTags] = useState("");
  const [mode, setMode] = useState<ImportStart["mode"]>("add");
  const [region, setRegion] = useState(first.default_region ?? "");
  const [acceptForeign, setAcceptForeign] = useState(false);
  const [rereading, setRereading] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { t, n, p, country } = useI18n();
  const errors = formErrors(error, ["mapping", "tags", "mode", "default_region"]);
  const hasPhone = Object.values(mapping).includes("phone");
  const phones = preview.phones;
  const countries = REGIONS.map((code) => ({ code, name: country(code) })).sort((a, b) => a.name.localeCompare(b.name));

  /** Read the sample's phones again with another country. */
  const readWith = async (code: string) => {
    setRegion(code);
    setRereading(true);
    try {
      setPreview(await fetchPreview(preview.import_id, code));
    } catch (e) {
      setError(e);
    } finally {
      setRereading(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!hasPhone) {
      setError(new Error(t("import.noPhone.error")));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: ImportStart = { mapping, tags: parseTags(tags), mode, default_region: region.trim().toUpperCase() || null };
      if (acceptForeign) body.accept_other_countries = true;
      const view = await startImport(preview.import_id, body);
      onStarted(view.import_id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-4" noValidate>
      <Card title={t("import.found")}>
        <p className="text-sm text-slate-700">
          {t("import.found.text", {
            encoding: preview.encoding,
            delimiter: t(`delimiter.${preview.delimiter}` as MessageKey) || preview.delimiter,
            header: t(preview.has_header ? "import.found.header" : "import.found.noHeader"),
            rows: n(preview.rows.length),
          })}
        </p>
        {preview.row_errors.length > 0 && (
          <div className="mt-2">
            <Alert tone="warning" title={t("import.rowErrors")}>
              {preview.row_errors.slice(0, 3).map((r) => (
                <p key={r.offset}>{r.reason}</p>
              ))}
            </Alert>
          </div>
        )}
      </Card>
      {phones && (
        <Card title={t("import.phones.title")}>
          <div className="flex flex-col gap-3" aria-live="polite" data-testid="phone-check">
            <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
              <SelectField label={t("import.country")} style={{ maxWidth: "100%" }} value={region} disabled={rereading} onChange={(e) => void readWith(e.target.value)} error={errors.fields.default_region}>
                {countries.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.name}
                  </option>
                ))}
              </SelectField>
              <p className="self-end text-sm text-slate-700">{t("import.phones.count", { valid: n(phones.valid), checked: n(phones.checked), country: country(phones.region) })}</p>
            </div>
            {phones.suggestion && (
              <Alert tone="warning" title={t("import.phones.suggest", { valid: n(phones.suggestion.valid), country: country(phones.suggestion.region) })}>
                <Button size="sm" busy={rereading} onClick={() => void readWith(phones.suggestion!.region)}>
                  {t("import.phones.use", { country: country(phones.suggestion.region) })}
                </Button>
              </Alert>
            )}
            {phones.other_country > 0 && phones.other_country_examples[0] && (
              <Alert tone="warning">
                <p>
                  {p("import.phones.foreign", phones.other_country, {
                    value: phones.other_country_examples[0].value,
                    readAs: phones.other_country_examples[0].read_as,
                    country: country(phones.other_country_examples[0].country),
                  })}
                </p>
                <label className="mt-2 flex items-center gap-2 text-sm">
                  <input type="checkbox" checked={acceptForeign} onChange={(e) => setAcceptForeign(e.target.checked)} />
                  {t("import.phones.accept")}
                </label>
              </Alert>
            )}
          </div>
        </Card>
      )}
      <Card title={t("import.match")}>
        {errors.fields.mapping && <Alert>{errors.fields.mapping}</Alert>}
        <div className="overflow-x-auto">
          <table className="min-w-full text-left text-sm">
            <caption className="sr-only">Columns of the file and what each holds</caption>
            <thead className="text-xs uppercase text-slate-600">
              <tr>
                <th scope="col" className="px-2 py-2">{t("import.col.column")}</th>
                <th scope="col" className="px-2 py-2">{t("import.col.examples")}</th>
                <th scope="col" className="px-2 py-2">{t("import.col.as")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {preview.columns.map((c) => {
                const key = String(c.index);
                const title = c.header || t("import.col.n", { n: c.index + 1 });
                const custom = `field:${fieldKey(c.header, c.index)}`;
                const options = [...TARGETS.map((value) => ({ value, label: t(`import.target.${value}`) })), { value: custom, label: t("import.target.field", { key: custom.slice(6) }) }];
                const current = mapping[key] ?? "ignore";
                if (!options.some((o) => o.value === current)) options.push({ value: current, label: t("import.target.field", { key: current.replace(/^field:/, "") }) });
                return (
                  <tr key={key}>
                    <th scope="row" className="px-2 py-2 font-medium">{title}</th>
                    <td className="max-w-48 truncate px-2 py-2 text-slate-600">{c.sample.slice(0, 3).join(" · ") || "—"}</td>
                    <td className="px-2 py-2">
                      <label className="sr-only" htmlFor={`map-${key}`}>
                        {t("import.col.importAs", { column: title })}
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
        {!hasPhone && <p className="mt-2 text-sm text-amber-800">{t("import.noPhone")}</p>}
      </Card>
      <Card title={t("import.options")}>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField label={t("import.tags")} hint={t("import.tags.hint")} value={tags} onChange={(e) => setTags(e.target.value)} error={errors.fields.tags} />
          <SelectField label={t("import.mode")} style={{ maxWidth: "100%" }} value={mode} onChange={(e) => setMode(e.target.value as ImportStart["mode"])} error={errors.fields.mode}>
            <option value="add">{t("import.mode.add")}</option>
            <option value="update">{t("import.mode.update")}</option>
            <option value="opt_out">{t("import.mode.optout")}</option>
          </SelectField>
        </div>
      </Card>
      {errors.form && <Alert>{errors.form}</Alert>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={busy || rereading}>
          {t("import.start")}
        </Button>
        <Button variant="secondary" onClick={onBack}>
          {t("import.another")}
        </Button>
      </div>
    </form>
  );
}

const COUNTERS = ["rows_read", "created", "updated", "existing", "duplicates", "invalid", "already_opted_out"] as const;
const IMPORT_STATES = ["queued", "running", "completed", "failed", "cancelled"];

function RunStep({ importId, onAnother }: { importId: string; onAnother: () => void }) {
  const job = useImport(importId);
  const refreshContacts = useRefreshImportedContacts();
  const cancelImport = useCancelImport();
  const [cancelling, setCancelling] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const finished = job.data ? importFinished(job.data.status) : false;
  const { t, n } = useI18n();
  useEffect(() => {
    if (finished) refreshContacts();
  }, [finished, refreshContacts]);
  if (job.isPending) return <Loading what="the import" />;
  if (job.isError) return <ErrorState error={job.error} what="the import" onRetry={() => job.refetch()} />;
  const view = job.data;
  const done = finished;

  const onCancel = async () => {
    setCancelling(true);
    try {
      await cancelImport(importId);
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
    <Card title={`${view.filename}: ${IMPORT_STATES.includes(view.status) ? t(`import.state.${view.status}` as MessageKey) : view.status}`}>
      <div aria-live="polite" className="flex flex-col gap-3">
        <ProgressBar value={view.status === "completed" ? 1 : view.progress} label={t("import.progress")} />
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="import-counters">
          {COUNTERS.map((key) => (
            <div key={key} className="rounded-md bg-slate-50 p-2">
              <dt className="text-xs text-slate-600">{t(`import.counter.${key}`)}</dt>
              <dd className="text-lg font-semibold">{n(view[key])}</dd>
            </div>
          ))}
        </dl>
        {view.error && <Alert>{view.error}</Alert>}
        {problem && <Alert>{problem}</Alert>}
        {view.status === "completed" && <Alert tone="success">{t("import.finished")}</Alert>}
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        {!done && (
          <Button variant="danger" busy={cancelling} onClick={() => void onCancel()}>
            {t("import.cancel")}
          </Button>
        )}
        {done && (view.invalid > 0 || view.warnings > 0) && (
          <Button variant="secondary" onClick={() => void onReport()}>
            {t("import.report")}
          </Button>
        )}
        {done && (
          <>
            <Link to="/contacts" className="inline-flex items-center rounded-md bg-brand-700 px-4 py-2 text-sm font-medium text-white hover:bg-brand-800">
              {t("import.seeContacts")}
            </Link>
            <Button variant="secondary" onClick={onAnother}>
              {t("import.importAnother")}
            </Button>
          </>
        )}
      </div>
    </Card>
  );
}
