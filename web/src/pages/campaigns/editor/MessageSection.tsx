import { useEffect, useMemo, useRef, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { useAudienceContacts } from "../../../api/campaignsApi";
import { useContacts } from "../../../api/contactsApi";
import { ApiError, messageOf } from "../../../api/errors";
import { postWithProgress } from "../../../api/raw";
import { PhoneBubble } from "../../../components/WhatsAppText";
import { Button, TextField, cx } from "../../../components/ui";
import { formatCount } from "../../../lib/format";
import { BUILTIN_VARIABLES, checkVariables } from "../../../lib/templateVars";
import { showToast } from "../../../lib/toast";
import { contactName, displayPhone } from "../../contacts/Contacts";
import { MAX_LENGTH } from "./draft";

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
  { label: "Bold", marker: "*", show: <strong>B</strong> },
  { label: "Italic", marker: "_", show: <em>I</em> },
  { label: "Strikethrough", marker: "~", show: <s>S</s> },
  { label: "Monospace", marker: "```", show: <code>{"</>"}</code> },
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
    const inner = value.slice(start, end) || "text";
    place(value.slice(0, start) + marker + inner + marker + value.slice(end), start + marker.length, start + marker.length + inner.length);
  };
  const over = value.length > MAX_LENGTH;
  const check = checkVariables(value, known);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor="template" className="text-sm font-medium text-slate-800">
        Message
      </label>
      <div className="flex flex-wrap items-center gap-1">
        <div role="group" aria-label="Formatting" className="mr-2 flex gap-1">
          {FORMATS.map((f) => (
            <button key={f.label} type="button" aria-label={f.label} title={f.label} onClick={() => wrap(f.marker)} className="h-7 min-w-7 rounded border border-slate-300 bg-white px-1.5 text-xs hover:bg-slate-50">
              {f.show}
            </button>
          ))}
        </div>
        <div role="group" aria-label="Insert a variable" className="flex flex-wrap gap-1">
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
        placeholder="{Hi|Hello} {{first_name|there}}, …"
      />
      <div className="flex flex-wrap justify-between gap-2 text-xs">
        <p id="template-help" className="text-slate-600">
          <code>{"{{first_name|there}}"}</code> uses “there” when the contact has no first name. <code>{"{Hi|Hello}"}</code> picks one at random per message. <code>*bold*</code> <code>_italic_</code> <code>~strike~</code>.
        </p>
        <p id="template-count" className={over ? "font-medium text-red-700" : "text-slate-600"} aria-live="polite">
          {formatCount(value.length)} / {formatCount(MAX_LENGTH)} characters
        </p>
      </div>
      <div id="template-error" aria-live="polite">
        {over && <p className="text-sm text-red-700">WhatsApp allows {formatCount(MAX_LENGTH)} characters in one message. Remove {formatCount(value.length - MAX_LENGTH)} to launch.</p>}
        {error && <p className="text-sm text-red-700">{error}</p>}
        {check.malformed.map((m) => (
          <p key={m} className="text-sm text-red-700">
            {m} is not a variable: names use letters, digits and _ without spaces, such as {"{{first_name}}"}.
          </p>
        ))}
        {check.unknown.map((name) => (
          <p key={name} className="text-sm text-amber-800" data-testid="unknown-variable">
            No contact field is called “{name}”. Check the spelling, or add a fallback: {`{{${name}|…}}`}.
          </p>
        ))}
      </div>
      {check.required.length > 0 && (
        <fieldset className="mt-1 rounded-md border border-slate-200 p-2 text-sm">
          <legend className="px-1 font-medium text-slate-800">Contacts with no {check.required.join(", ")}</legend>
          <label className="mr-4 inline-flex items-center gap-1">
            <input type="radio" name="on-missing" checked={onMissing === "skip"} onChange={() => setOnMissing("skip")} /> Skip contacts missing it
          </label>
          <label className="inline-flex items-center gap-1">
            <input type="radio" name="on-missing" checked={onMissing === "block"} onChange={() => setOnMissing("block")} /> Do not launch until they have it
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
    unwrap(api.POST("/api/campaigns/{campaign_id}/preview", { params: { path: { campaign_id: campaignId } }, body: { phone: chosen } }))
      .then((p) => !stale && (setPreview(p), setError(null)))
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [campaignId, chosen, version]);
  const text = preview?.text ?? template;
  return (
    <div className="flex flex-col gap-2 rounded-md border border-slate-200 bg-slate-50 p-3">
      <p className="text-sm font-medium text-slate-800">Preview</p>
      <div className="grid gap-2 sm:grid-cols-2">
        <TextField label="Find a recipient" type="search" placeholder="Name or phone" value={q} onChange={(e) => setQ(e.target.value)} />
        <div className="flex flex-col gap-1">
          <label htmlFor="preview-for" className="text-sm font-medium text-slate-800">
            Preview for
          </label>
          <select id="preview-for" value={chosen} onChange={(e) => setPhone(e.target.value)} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base sm:text-sm">
            {list.length === 0 && <option value="">{contacts.isPending ? "Loading…" : "No one in the audience matches"}</option>}
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
          {formatCount(preview.length)} characters as sent to this contact{preview.truncated ? `; more than ${formatCount(MAX_LENGTH)}: shorten the message` : ""}.
        </p>
      ) : (
        <p className="text-xs text-slate-600">Variables are filled in for a recipient once you write the message.</p>
      )}
      {preview && preview.missing.length > 0 && <p className="text-sm text-amber-800">This contact has no value for: {preview.missing.join(", ")}.</p>}
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
    unwrap(api.GET("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: campaignId } } }))
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
        setError("Write the message first: the image is sent with it as its caption.");
        return;
      }
      setLocal(URL.createObjectURL(file));
      setProgress(0);
      const slot = await unwrap(api.POST("/api/campaigns/{campaign_id}/media/upload", { params: { path: { campaign_id: id } } }));
      await postWithProgress(slot.upload_url, slot.upload_fields, file, file.type.startsWith("image/") ? file.type : "image/jpeg", setProgress);
      await unwrap(api.PUT("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: id } }, body: { upload_key: slot.upload_key } }));
      setHasMedia(true);
      showToast("The image is attached.", "success");
    } catch (e) {
      setLocal(null);
      setError(e instanceof ApiError && (e.code === "invalid_image" || e.code === "image_too_large") ? `This image cannot be sent: ${e.message}` : messageOf(e));
    } finally {
      setProgress(null);
    }
  };
  const onRemove = async () => {
    if (!campaignId) return;
    try {
      await unwrap(api.DELETE("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: campaignId } } }));
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
        Image (optional)
      </label>
      <input id="campaign-image" type="file" accept="image/jpeg,image/png,image/webp" aria-describedby="campaign-image-hint" className="text-sm" onChange={(e) => void onFile(e.target.files?.[0])} />
      <p id="campaign-image-hint" className="text-xs text-slate-600">
        JPEG, PNG or WebP up to 5 MB; the message becomes its caption.
      </p>
      {progress !== null && <p className="text-sm text-slate-700">Uploading… {Math.round(progress * 100)}%</p>}
      {error && (
        <p className="text-sm text-red-700" role="alert">
          {error}
        </p>
      )}
      {hasMedia && (
        <div>
          <Button size="sm" variant="secondary" onClick={() => void onRemove()}>
            Remove image
          </Button>
        </div>
      )}
    </div>
  );
}
