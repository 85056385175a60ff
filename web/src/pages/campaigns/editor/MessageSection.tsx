import { useEffect, useMemo, useRef, useState } from "react";
import { attachCampaignImage, campaignImageLink, previewCampaign, removeCampaignImage, useAudienceContacts } from "../../../api/campaignsApi";
import { useContacts } from "../../../api/contactsApi";
import { ApiError, messageOf } from "../../../api/errors";
import { PhoneBubble } from "../../../components/WhatsAppText";
import { Button, TextField, cx } from "../../../components/ui";
import { formatCount, formatPercent } from "../../../lib/format";
import { BUILTIN_VARIABLES, checkVariables } from "../../../lib/templateVars";
import { showToast } from "../../../lib/toast";
import { contactName, displayPhone } from "../../contacts/Contacts";
import { MAX_LENGTH } from "./draft";
import { tr, type MessageKey } from "../../../i18n";

/** Custom field keys seen on the first contacts (no endpoint lists them). */
export function useKnownFields(): string[] {
  const contacts = useContacts({ q: "", tag: "", optedOut: "" });
  return useMemo(() => {
    const keys = new Set<string>();
    for (const c of contacts.data ?? []) for (const key of Object.keys(c.fields ?? {})) keys.add(key);
    return [...keys].sort();
  }, [contacts.data]);
}

const FORMATS = [
  { label: "format.bold" as MessageKey, marker: "*", show: <strong>B</strong> },
  { label: "format.italic" as MessageKey, marker: "_", show: <em>I</em> },
  { label: "format.strike" as MessageKey, marker: "~", show: <s>S</s> },
  { label: "format.mono" as MessageKey, marker: "```", show: <code>{"</>"}</code> },
];

export function MessageEditor({ value, onChange, error, known, onMissing, setOnMissing }: { value: string; onChange: (v: string) => void; error?: string | undefined; known: string[]; onMissing: "block" | "skip"; setOnMissing: (v: "block" | "skip") => void }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const place = (text: string, selectFrom: number, selectTo: number) => {
    const el = ref.current;
    onChange(text);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(selectFrom, selectTo);
    });
  };
  const insert = (text: string) => {
    const start = ref.current?.selectionStart ?? value.length;
    const end = ref.current?.selectionEnd ?? value.length;
    place(value.slice(0, start) + text + value.slice(end), start + text.length, start + text.length);
  };
  const wrap = (marker: string) => {
    const start = ref.current?.selectionStart ?? value.length;
    const end = ref.current?.selectionEnd ?? value.length;
    const inner = value.slice(start, end) || tr("format.sample");
    place(value.slice(0, start) + marker + inner + marker + value.slice(end), start + marker.length, start + marker.length + inner.length);
  };
  const over = value.length > MAX_LENGTH;
  const check = checkVariables(value, known);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor="template" className="text-sm font-medium text-slate-800">
        {tr("campaign.message")}
      </label>
      <div className="flex flex-wrap items-center gap-1">
        <div role="group" aria-label={tr("format.group")} className="mr-2 flex gap-1">
          {FORMATS.map((f) => (
            <button key={f.label} type="button" aria-label={tr(f.label)} title={tr(f.label)} onClick={() => wrap(f.marker)} className="h-7 min-w-7 rounded border border-slate-300 bg-white px-1.5 text-xs hover:bg-slate-50">
              {f.show}
            </button>
          ))}
        </div>
        <div role="group" aria-label={tr("format.insertVariable")} className="flex flex-wrap gap-1">
          {[...BUILTIN_VARIABLES, ...known].map((v) => (
            <button key={v} type="button" onClick={() => insert(`{{${v}}}`)} className="rounded-full border border-slate-300 bg-white px-2 py-0.5 text-xs hover:bg-slate-50">
              + {v}
            </button>
          ))}
        </div>
      </div>
      <textarea
        id="template"
        ref={ref}
        rows={6}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error || over ? true : undefined}
        aria-describedby="template-help template-count template-error"
        className={cx("rounded-md border px-3 py-2 text-base sm:text-sm", error || over ? "border-red-600" : "border-slate-300")}
        placeholder={tr("message.placeholder")}
      />
      <div className="flex flex-wrap justify-between gap-2 text-xs">
        <p id="template-help" className="text-slate-600">
          <code>{tr("message.help.fallbackCode")}</code> {tr("message.help.fallback")} <code>{tr("message.help.spinCode")}</code> {tr("message.help.spin")} <code>*{tr("format.bold.sample")}*</code> <code>_{tr("format.italic.sample")}_</code> <code>~{tr("format.strike.sample")}~</code>.
        </p>
        <p id="template-count" className={over ? "font-medium text-red-700" : "text-slate-600"} aria-live="polite">
          {tr("message.count", { length: formatCount(value.length), max: formatCount(MAX_LENGTH) })}
        </p>
      </div>
      <div id="template-error" aria-live="polite">
        {over && <p className="text-sm text-red-700">{tr("message.over", { max: formatCount(MAX_LENGTH), extra: formatCount(value.length - MAX_LENGTH) })}</p>}
        {error && <p className="text-sm text-red-700">{error}</p>}
        {check.malformed.map((m) => (
          <p key={m} className="text-sm text-red-700">
            {tr("message.malformed", { text: m })}
          </p>
        ))}
        {check.unknown.map((name) => (
          <p key={name} className="text-sm text-amber-800" data-testid="unknown-variable">
            {tr("message.unknown", { name, example: `{{${name}|…}}` })}
          </p>
        ))}
      </div>
      {check.required.length > 0 && (
        <fieldset className="mt-1 rounded-md border border-slate-200 p-2 text-sm">
          <legend className="px-1 font-medium text-slate-800">{tr("message.required", { names: check.required.join(", ") })}</legend>
          <label className="mr-4 inline-flex items-center gap-1">
            <input type="radio" name="on-missing" checked={onMissing === "skip"} onChange={() => setOnMissing("skip")} /> {tr("message.skip")}
          </label>
          <label className="inline-flex items-center gap-1">
            <input type="radio" name="on-missing" checked={onMissing === "block"} onChange={() => setOnMissing("block")} /> {tr("message.block")}
          </label>
        </fieldset>
      )}
    </div>
  );
}

interface PreviewText {
  text: string;
  missing: string[];
  length: number;
  truncated: boolean;
}

/**
 * The message as one contact of the audience receives it. Rendered by the server
 * (variables, spintax) once the draft exists; until then, the text as typed.
 */
export function PreviewPanel({ campaignId, version, template, all, tags, image }: { campaignId: string | null; version: number; template: string; all: boolean; tags: string[]; image: string | null }) {
  const [q, setQ] = useState("");
  const [phone, setPhone] = useState("");
  const contacts = useAudienceContacts(all, tags, q);
  const [preview, setPreview] = useState<PreviewText | null>(null);
  const [error, setError] = useState<unknown>(null);
  const list = contacts.data ?? [];
  const chosen = list.some((c) => c.phone === phone) ? phone : (list[0]?.phone ?? "");
  useEffect(() => {
    if (!campaignId || !chosen) return setPreview(null);
    let stale = false;
    previewCampaign(campaignId, chosen)
      .then((p) => !stale && (setPreview(p), setError(null)))
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [campaignId, chosen, version]);
  const text = preview?.text ?? template;
  return (
    <div className="flex flex-col gap-2 rounded-md border border-slate-200 bg-slate-50 p-3">
      <p className="text-sm font-medium text-slate-800">{tr("preview.title")}</p>
      <div className="grid gap-2 sm:grid-cols-2">
        <TextField label={tr("preview.find")} type="search" placeholder={tr("preview.find.placeholder")} value={q} onChange={(e) => setQ(e.target.value)} />
        <div className="flex flex-col gap-1">
          <label htmlFor="preview-for" className="text-sm font-medium text-slate-800">
            {tr("preview.for")}
          </label>
          <select id="preview-for" value={chosen} onChange={(e) => setPhone(e.target.value)} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base sm:text-sm">
            {list.length === 0 && <option value="">{contacts.isPending ? tr("preview.loading") : tr("preview.noMatch")}</option>}
            {list.map((c) => (
              <option key={c.phone} value={c.phone}>
                {contactName(c)} ({displayPhone(c.phone)})
              </option>
            ))}
          </select>
        </div>
      </div>
      {error != null && <p className="text-sm text-red-700">{messageOf(error)}</p>}
      <PhoneBubble text={text} image={image} testId="message-preview" />
      {preview ? (
        <p className="text-xs text-slate-600">
          {tr(preview.truncated ? "preview.lengthOver" : "preview.length", { length: formatCount(preview.length), max: formatCount(MAX_LENGTH) })}
        </p>
      ) : (
        <p className="text-xs text-slate-600">{tr("preview.later")}</p>
      )}
      {preview && preview.missing.length > 0 && <p className="text-sm text-amber-800">{tr("preview.missing", { names: preview.missing.join(", ") })}</p>}
    </div>
  );
}

/** The image: uploading first saves the draft, so it works before "Save draft". */
export function MediaPanel({ campaignId, hasMedia: initial, ensureDraft, onImage }: { campaignId: string | null; hasMedia: boolean; ensureDraft: () => Promise<string | null>; onImage: (src: string | null) => void }) {
  const [local, setLocal] = useState<string | null>(null);
  const [remote, setRemote] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hasMedia, setHasMedia] = useState(initial);
  useEffect(() => {
    if (!campaignId || !hasMedia || local) return;
    campaignImageLink(campaignId)
      .then((link) => setRemote(link.url))
      .catch(() => setRemote(null));
  }, [hasMedia, campaignId, local]);
  useEffect(() => () => void (local && URL.revokeObjectURL(local)), [local]);
  const src = hasMedia || progress !== null ? (local ?? remote) : null;
  useEffect(() => onImage(src), [src, onImage]);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    try {
      const id = await ensureDraft();
      if (!id) {
        setError(tr("image.writeFirst"));
        return;
      }
      setLocal(URL.createObjectURL(file));
      setProgress(0);
      await attachCampaignImage(id, file, setProgress);
      setHasMedia(true);
      showToast(tr("image.attached"), "success");
    } catch (e) {
      setLocal(null);
      setError(e instanceof ApiError && (e.code === "invalid_image" || e.code === "image_too_large") ? tr("image.cannotSend", { message: e.message }) : messageOf(e));
    } finally {
      setProgress(null);
    }
  };
  const onRemove = async () => {
    if (!campaignId) return;
    try {
      await removeCampaignImage(campaignId);
      setHasMedia(false);
      setLocal(null);
      setRemote(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor="campaign-image" className="text-sm font-medium text-slate-800">
        {tr("image.label")}
      </label>
      <input id="campaign-image" type="file" accept="image/jpeg,image/png,image/webp" aria-describedby="campaign-image-hint" className="text-sm" onChange={(e) => void onFile(e.target.files?.[0])} />
      <p id="campaign-image-hint" className="text-xs text-slate-600">
        {tr("image.hint")}
      </p>
      {progress !== null && <p className="text-sm text-slate-700">{tr("image.uploading", { percent: formatPercent(progress) })}</p>}
      {error && (
        <p className="text-sm text-red-700" role="alert">
          {error}
        </p>
      )}
      {hasMedia && (
        <div>
          <Button size="sm" variant="secondary" onClick={() => void onRemove()}>
            {tr("image.remove")}
          </Button>
        </div>
      )}
    </div>
  );
}
