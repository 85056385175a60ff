import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { useAudience, useCampaign, useCampaignAction, useSaveCampaign } from "../../api/campaignsApi";
import { useContacts, useTags } from "../../api/contactsApi";
import { ApiError, messageOf } from "../../api/errors";
import { useMe, useSessions } from "../../api/queries";
import { putWithProgress } from "../../api/raw";
import type { Campaign, CampaignFields, CampaignPatch, PacingIn } from "../../api/types";
import { Alert, Button, Card, ErrorState, Loading, PageHeader, SelectField, TextField, cx } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { showToast } from "../../lib/toast";
import { contactName, displayPhone } from "../contacts/Contacts";
import { launchProblem } from "./common";
import { OptOutWordCheck } from "../../components/OptOutWordCheck";

export const MAX_LENGTH = 4096;
export const BUILTIN_VARIABLES = ["first_name", "name", "last_name", "phone", "email"];

interface Draft {
  name: string;
  template: string;
  all: boolean;
  tags: string[];
  onMissing: "block" | "skip";
  sessionIds: string[];
  when: "now" | "later";
  sendAt: string;
  timezone: string;
  minGap: string;
  maxGap: string;
  dailyCap: string;
  warmup: boolean;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
}

/** An epoch as "YYYY-MM-DDTHH:mm" wall-clock time in `timeZone` (for datetime-local). */
export function localInput(epochMs: number, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(epochMs);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
    return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
  } catch {
    return "";
  }
}

function draftOf(c: Campaign | undefined, timezone: string): Draft {
  const pacing = (c?.pacing ?? {}) as Partial<PacingIn>;
  const audience = (c?.audience ?? {}) as { all?: boolean; tags?: string[] };
  return {
    name: c?.name ?? "",
    template: c?.template ?? "",
    all: c ? Boolean(audience.all) : false,
    tags: audience.tags ?? [],
    onMissing: c?.on_missing_variable === "skip" ? "skip" : "block",
    sessionIds: c?.session_ids ?? [],
    when: c?.send_at ? "later" : "now",
    sendAt: c?.send_at ? localInput(c.send_at, c.timezone) : "",
    timezone: c?.timezone ?? timezone,
    minGap: String(pacing.min_gap_s ?? 20),
    maxGap: String(pacing.max_gap_s ?? 60),
    dailyCap: String(pacing.daily_cap ?? 200),
    warmup: pacing.warmup ?? true,
    quiet: Boolean(pacing.quiet_start),
    quietStart: pacing.quiet_start ?? "21:00",
    quietEnd: pacing.quiet_end ?? "08:00",
  };
}

function bodyOf(d: Draft): CampaignFields {
  return {
    name: d.name.trim(),
    template: d.template,
    audience: { all: d.all, tags: d.all ? [] : d.tags },
    on_missing_variable: d.onMissing,
    session_ids: d.sessionIds,
    send_at: d.when === "later" && d.sendAt ? d.sendAt : null,
    timezone: d.timezone,
    pacing: {
      min_gap_s: Number(d.minGap),
      max_gap_s: Number(d.maxGap),
      daily_cap: Number(d.dailyCap),
      warmup: d.warmup,
      quiet_start: d.quiet ? d.quietStart : null,
      quiet_end: d.quiet ? d.quietEnd : null,
    },
  };
}

/** Advice, not rules: the API accepts these, but they put numbers at risk. */
export function pacingWarnings(d: Pick<Draft, "minGap" | "maxGap" | "dailyCap" | "warmup">): string[] {
  const out: string[] = [];
  if (Number(d.minGap) < 10 || Number(d.maxGap) < 10) out.push("Gaps under 10 seconds look automated to WhatsApp and risk a ban.");
  if (Number(d.dailyCap) > 500) out.push("More than 500 messages a day is risky for numbers that are new or rarely used.");
  if (!d.warmup) out.push("Without warm-up, new numbers send their full daily cap from the first day.");
  return out;
}

function timeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? ["UTC", "Europe/London", "Europe/Lisbon", "America/Sao_Paulo", "America/New_York", "Asia/Kolkata"];
  return all.includes(current) ? all : [current, ...all];
}

export function CampaignEditorPage() {
  const { campaignId } = useParams();
  const campaign = useCampaign(campaignId ?? null);
  const me = useMe();
  if ((campaignId && campaign.isPending) || me.isPending) return <Loading what="the campaign" />;
  if (campaign.isError) return <ErrorState error={campaign.error} what="the campaign" onRetry={() => campaign.refetch()} />;
  return <Editor key={campaignId ?? "new"} campaign={campaign.data} defaultTimezone={me.data?.timezone ?? "UTC"} />;
}

const FORM_FIELDS = ["name", "template", "audience", "session_ids", "send_at", "timezone", "pacing.min_gap_s", "pacing.max_gap_s", "pacing.daily_cap", "pacing.quiet_start", "pacing.quiet_end", "pacing", "on_missing_variable"] as const;

function Editor({ campaign, defaultTimezone }: { campaign: Campaign | undefined; defaultTimezone: string }) {
  const navigate = useNavigate();
  const [d, setD] = useState<Draft>(() => draftOf(campaign, defaultTimezone));
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setD((prev) => ({ ...prev, [key]: value }));
  const save = useSaveCampaign();
  const launch = useCampaignAction();
  const id = campaign?.campaign_id ?? null;
  const errors = formErrors(save.error, FORM_FIELDS);
  const [savedVersion, setSavedVersion] = useState(0);

  // A draft's audience and message save themselves, so the recipient count and
  // the preview follow what is on screen (both are computed from the saved draft).
  const autoKey = JSON.stringify([d.all, d.tags, d.onMissing, d.template]);
  const lastAuto = useRef(autoKey);
  const isDraft = campaign?.status === "draft";
  useEffect(() => {
    if (!id || !isDraft || autoKey === lastAuto.current) return;
    const timer = setTimeout(() => {
      lastAuto.current = autoKey;
      const body: CampaignPatch = { audience: { all: d.all, tags: d.all ? [] : d.tags }, on_missing_variable: d.onMissing };
      if (d.template.trim() && d.template.length <= MAX_LENGTH) body.template = d.template;
      unwrap(api.PATCH("/api/campaigns/{campaign_id}", { params: { path: { campaign_id: id } }, body }))
        .then(() => setSavedVersion((v) => v + 1))
        .catch(() => undefined); // "Save draft" shows any problem at its field
    }, 800);
    return () => clearTimeout(timer);
  }, [autoKey, id, isDraft, d.all, d.tags, d.onMissing, d.template]);

  const persist = (then?: (c: Campaign) => void) =>
    save.mutate(
      { id, body: bodyOf(d) },
      {
        onSuccess: (saved) => {
          setSavedVersion((v) => v + 1);
          if (!id) navigate(`/campaigns/${saved.campaign_id}/edit`, { replace: true });
          if (then) then(saved);
          else showToast("Saved.", "success");
        },
      },
    );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    persist();
  };

  const onLaunch = () =>
    persist((saved) =>
      launch.mutate(
        { id: saved.campaign_id, action: "schedule" },
        {
          onSuccess: (c) => {
            showToast(d.when === "later" ? "The campaign is scheduled." : "The campaign is launching.", "success");
            navigate(`/campaigns/${c.campaign_id}`);
          },
        },
      ),
    );

  const problem = launchProblem(launch.error);
  const sessionList = useSessions(10_000);
  const sessionLabel = (sessionId: string) => sessionList.data?.find((s) => s.session_id === sessionId)?.label ?? sessionId;
  const editable = !campaign || ["draft", "scheduled", "paused"].includes(campaign.status);

  return (
    <>
      <PageHeader title={campaign ? `Edit “${campaign.name}”` : "New campaign"}>
        <Link to={campaign ? `/campaigns/${campaign.campaign_id}` : "/campaigns"} className="text-sm font-medium text-brand-700 underline">
          {campaign ? "Back to the campaign" : "Back to campaigns"}
        </Link>
      </PageHeader>
      {!editable && <Alert tone="info">A {campaign?.status} campaign cannot be edited.</Alert>}
      <form onSubmit={onSubmit} className="flex flex-col gap-4" noValidate>
        <fieldset disabled={!editable} className="flex min-w-0 flex-col gap-4">
        <Card title="1. Message">
          <div className="flex flex-col gap-3">
            <TextField label="Campaign name" required maxLength={120} value={d.name} onChange={(e) => set("name", e.target.value)} error={errors.fields.name} hint="Only you see it." />
            <MessageEditor value={d.template} onChange={(v) => set("template", v)} error={errors.fields.template} />
            <OptOutWordCheck text={d.template} />
            {id ? <PreviewPanel campaignId={id} version={savedVersion} /> : <p className="text-sm text-slate-600">Save the draft to preview the message for a contact, add an image and send a test.</p>}
            {id && <MediaPanel campaign={campaign!} />}
          </div>
        </Card>
        <Card title="2. Audience">
          <AudiencePicker d={d} set={set} error={errors.fields.audience} />
          {id && <AudienceCheck campaignId={id} version={savedVersion} onMissing={d.onMissing} setOnMissing={(v) => set("onMissing", v)} />}
        </Card>
        <Card title="3. Sending numbers">
          <SessionPicker selected={d.sessionIds} onChange={(v) => set("sessionIds", v)} error={errors.fields.session_ids} />
        </Card>
        <Card title="4. Schedule and pace">
          <ScheduleFields d={d} set={set} errors={errors.fields} />
        </Card>
        </fieldset>
        {id && editable && <TestPanel campaignId={id} sessionIds={d.sessionIds} />}
        {errors.form && <Alert>{errors.form}</Alert>}
        {problem && (
          <Alert title={problem.title}>
            <p>{problem.message}</p>
            {problem.sessions && problem.sessions.length > 0 && (
              <ul className="mt-1 list-disc pl-5">
                {problem.sessions.map((s) => (
                  <li key={s.session_id}>
                    {sessionLabel(s.session_id)}: {s.problem.replace(/_/g, " ")}
                  </li>
                ))}
              </ul>
            )}
            {problem.affected && problem.affected.length > 0 && <AffectedList affected={problem.affected} />}
          </Alert>
        )}
        <div className="flex flex-wrap gap-2">
          <Button type="submit" variant="secondary" busy={save.isPending && !launch.isPending} disabled={!editable}>
            Save draft
          </Button>
          {(!campaign || campaign.status === "draft") && (
            <Button onClick={onLaunch} busy={launch.isPending} disabled={!editable}>
              {d.when === "later" ? "Schedule campaign" : "Launch now"}
            </Button>
          )}
        </div>
      </form>
    </>
  );
}

function MessageEditor({ value, onChange, error }: { value: string; onChange: (v: string) => void; error?: string | undefined }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const contacts = useContacts({ q: "", tag: "", optedOut: "" });
  // No endpoint lists custom field keys; the keys on the first loaded contacts stand in.
  const custom = useMemo(() => {
    const keys = new Set<string>();
    for (const c of contacts.data ?? []) for (const key of Object.keys(c.fields ?? {})) keys.add(key);
    return [...keys].sort();
  }, [contacts.data]);
  const insert = (text: string) => {
    const el = ref.current;
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    onChange(value.slice(0, start) + text + value.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + text.length, start + text.length);
    });
  };
  const over = value.length > MAX_LENGTH;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor="template" className="text-sm font-medium text-slate-800">
        Message
      </label>
      <div role="group" aria-label="Insert a variable" className="flex flex-wrap gap-1">
        {[...BUILTIN_VARIABLES, ...custom].map((v) => (
          <button key={v} type="button" onClick={() => insert(`{{${v}}}`)} className="rounded-full border border-slate-300 bg-white px-2 py-0.5 text-xs hover:bg-slate-50">
            + {v}
          </button>
        ))}
      </div>
      <textarea
        id="template"
        ref={ref}
        rows={6}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error || over ? true : undefined}
        aria-describedby="template-help template-count"
        className={cx("rounded-md border px-3 py-2 text-base sm:text-sm", error || over ? "border-red-600" : "border-slate-300")}
        placeholder="{Hi|Hello} {{first_name|there}}, …"
      />
      <div className="flex flex-wrap justify-between gap-2 text-xs">
        <p id="template-help" className="text-slate-600">
          <code>{"{{first_name|there}}"}</code> uses “there” when the contact has no first name. <code>{"{Hi|Hello}"}</code> picks one at random per message.
        </p>
        <p id="template-count" className={over ? "font-medium text-red-700" : "text-slate-600"} aria-live="polite">
          {value.length.toLocaleString()} / {MAX_LENGTH.toLocaleString()} characters
        </p>
      </div>
      {error && <p className="text-sm text-red-700">{error}</p>}
    </div>
  );
}

function PreviewPanel({ campaignId, version }: { campaignId: string; version: number }) {
  const contacts = useContacts({ q: "", tag: "", optedOut: "false" });
  const [phone, setPhone] = useState("");
  const [preview, setPreview] = useState<{ text: string; missing: string[]; length: number; truncated: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const first = contacts.data?.[0]?.phone;
  const chosen = phone || first || "";
  useEffect(() => {
    if (!chosen) return;
    let stale = false;
    unwrap(api.POST("/api/campaigns/{campaign_id}/preview", { params: { path: { campaign_id: campaignId } }, body: { phone: chosen } }))
      .then((p) => !stale && (setPreview(p), setError(null)))
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [campaignId, chosen, version]);
  if (!contacts.data?.length) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-slate-50 p-3">
      <SelectField label="Preview for" value={chosen} onChange={(e) => setPhone(e.target.value)}>
        {contacts.data.map((c) => (
          <option key={c.phone} value={c.phone}>
            {contactName(c)} ({displayPhone(c.phone)})
          </option>
        ))}
      </SelectField>
      {error != null && <p className="mt-2 text-sm text-red-700">{messageOf(error)}</p>}
      {preview && (
        <div className="mt-2" data-testid="message-preview">
          <p className="whitespace-pre-wrap break-words rounded-lg bg-emerald-50 p-3 text-sm text-slate-900 shadow-sm">{preview.text}</p>
          <p className="mt-1 text-xs text-slate-600">
            {preview.length.toLocaleString()} characters as sent{preview.truncated ? " (cut at 4,096)" : ""}. 
          </p>
          {preview.missing.length > 0 && <p className="mt-1 text-sm text-amber-800">This contact has no value for: {preview.missing.join(", ")}.</p>}
        </div>
      )}
    </div>
  );
}

function MediaPanel({ campaign }: { campaign: Campaign }) {
  const [local, setLocal] = useState<string | null>(null);
  const [remote, setRemote] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hasMedia, setHasMedia] = useState(campaign.has_media);
  const id = campaign.campaign_id;
  useEffect(() => {
    if (!hasMedia || local) return;
    unwrap(api.GET("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: id } } }))
      .then((link) => setRemote(link.url))
      .catch(() => setRemote(null));
  }, [hasMedia, id, local]);
  useEffect(() => () => void (local && URL.revokeObjectURL(local)), [local]);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setLocal(URL.createObjectURL(file));
    try {
      const slot = await unwrap(api.POST("/api/campaigns/{campaign_id}/media/upload", { params: { path: { campaign_id: id } } }));
      setProgress(0);
      await putWithProgress(slot.upload_url, file, file.type || "application/octet-stream", setProgress);
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
    try {
      await unwrap(api.DELETE("/api/campaigns/{campaign_id}/media", { params: { path: { campaign_id: id } } }));
      setHasMedia(false);
      setLocal(null);
      setRemote(null);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const src = local ?? remote;
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
      {error && <p className="text-sm text-red-700" role="alert">{error}</p>}
      {src && hasMedia !== false && (
        <div className="flex items-start gap-3">
          <img src={src} alt="The campaign's image" className="max-h-40 rounded-md border border-slate-200" />
          {hasMedia && (
            <Button size="sm" variant="secondary" onClick={() => void onRemove()}>
              Remove image
            </Button>
          )}
        </div>
      )}
    </div>
  );
}

function AudiencePicker({ d, set, error }: { d: Draft; set: <K extends keyof Draft>(k: K, v: Draft[K]) => void; error?: string | undefined }) {
  const tags = useTags();
  const toggle = (tag: string) => set("tags", d.tags.includes(tag) ? d.tags.filter((t) => t !== tag) : [...d.tags, tag]);
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="text-sm font-medium text-slate-800">Who receives it</legend>
      <label className="flex items-center gap-2 text-sm">
        <input type="radio" name="audience" checked={d.all} onChange={() => set("all", true)} /> All contacts (opted-out ones never receive)
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="radio" name="audience" checked={!d.all} onChange={() => set("all", false)} /> Contacts with any of these tags
      </label>
      {!d.all &&
        (tags.isPending ? (
          <Loading what="tags" />
        ) : tags.isError ? (
          <ErrorState error={tags.error} what="tags" onRetry={() => tags.refetch()} />
        ) : tags.data.items.length === 0 ? (
          <p className="text-sm text-slate-600">
            No tags yet. <Link className="text-brand-700 underline" to="/contacts/import">Import contacts with a tag</Link>.
          </p>
        ) : (
          <div className="flex flex-wrap gap-2 pl-6">
            {tags.data.items.map((t) => (
              <label key={t.tag} className="flex items-center gap-1 rounded-full border border-slate-300 px-2 py-1 text-sm">
                <input type="checkbox" checked={d.tags.includes(t.tag)} onChange={() => toggle(t.tag)} /> {t.tag} <span className="text-slate-600">({t.count.toLocaleString()})</span>
              </label>
            ))}
          </div>
        ))}
      {error && <p className="text-sm text-red-700">{error}</p>}
    </fieldset>
  );
}

function AffectedList({ affected }: { affected: { phone: string; name?: string | null; missing: string[] }[] }) {
  return (
    <ul className="mt-2 max-h-40 overflow-y-auto rounded border border-amber-200 bg-white p-2 text-xs text-slate-800" aria-label="Contacts missing a variable">
      {affected.map((a) => (
        <li key={a.phone}>
          {a.name || displayPhone(a.phone)} ({displayPhone(a.phone)}): no {a.missing.join(", ")}
        </li>
      ))}
    </ul>
  );
}

function AudienceCheck({ campaignId, version, onMissing, setOnMissing }: { campaignId: string; version: number; onMissing: "block" | "skip"; setOnMissing: (v: "block" | "skip") => void }) {
  const check = useAudience(campaignId, version);
  return (
    <div className="mt-3 rounded-md bg-slate-50 p-3 text-sm" aria-live="polite">
      {check.isPending ? (
        <Loading what="the audience" />
      ) : check.isError ? (
        <ErrorState error={check.error} what="the audience" onRetry={() => check.refetch()} />
      ) : (
        <>
          <p data-testid="recipient-count">
            <strong>{check.data.recipients.toLocaleString()}</strong> recipient(s) as saved; {check.data.opted_out.toLocaleString()} opted out (never messaged).
          </p>
          {check.data.missing_variables > 0 && (
            <div className="mt-2">
              <Alert tone="warning" title={`${check.data.missing_variables.toLocaleString()} contact(s) lack a variable the message uses`}>
                <AffectedList affected={check.data.affected as { phone: string; name?: string | null; missing: string[] }[]} />
                <fieldset className="mt-2">
                  <legend className="font-medium">When a contact lacks a variable without a fallback</legend>
                  <label className="mr-4 inline-flex items-center gap-1">
                    <input type="radio" name="on-missing" checked={onMissing === "block"} onChange={() => setOnMissing("block")} /> Do not launch
                  </label>
                  <label className="inline-flex items-center gap-1">
                    <input type="radio" name="on-missing" checked={onMissing === "skip"} onChange={() => setOnMissing("skip")} /> Skip those contacts
                  </label>
                </fieldset>
              </Alert>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function SessionPicker({ selected, onChange, error }: { selected: string[]; onChange: (v: string[]) => void; error?: string | undefined }) {
  const sessions = useSessions(10_000);
  if (sessions.isPending) return <Loading what="your numbers" />;
  if (sessions.isError) return <ErrorState error={sessions.error} what="your numbers" onRetry={() => sessions.refetch()} />;
  const connected = sessions.data.filter((s) => s.status === "connected");
  if (connected.length === 0)
    return (
      <p className="text-sm text-slate-700">
        No connected number. <Link to="/sessions" className="text-brand-700 underline">Link a number</Link> first.
      </p>
    );
  return (
    <fieldset>
      <legend className="mb-1 text-sm text-slate-700">Messages are spread over the numbers you choose.</legend>
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

function ScheduleFields({ d, set, errors }: { d: Draft; set: <K extends keyof Draft>(k: K, v: Draft[K]) => void; errors: Record<string, string> }) {
  const zones = useMemo(() => timeZones(d.timezone), [d.timezone]);
  const warnings = pacingWarnings(d);
  return (
    <div className="flex flex-col gap-4">
      <fieldset className="flex flex-col gap-2">
        <legend className="text-sm font-medium text-slate-800">When</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="when" checked={d.when === "now"} onChange={() => set("when", "now")} /> As soon as I launch it
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="when" checked={d.when === "later"} onChange={() => set("when", "later")} /> At a date and time
        </label>
        {d.when === "later" && (
          <div className="grid gap-3 pl-6 sm:grid-cols-2">
            <TextField label="Date and time" type="datetime-local" value={d.sendAt} onChange={(e) => set("sendAt", e.target.value)} error={errors.send_at} />
            <SelectField label="Time zone" value={d.timezone} onChange={(e) => set("timezone", e.target.value)} error={errors.timezone}>
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </SelectField>
          </div>
        )}
      </fieldset>
      <fieldset className="flex flex-col gap-3">
        <legend className="text-sm font-medium text-slate-800">Pace (per number)</legend>
        <div className="grid gap-3 sm:grid-cols-3">
          <TextField label="Shortest gap (seconds)" type="number" min={0} max={3600} value={d.minGap} onChange={(e) => set("minGap", e.target.value)} error={errors["pacing.min_gap_s"]} />
          <TextField label="Longest gap (seconds)" type="number" min={0} max={3600} value={d.maxGap} onChange={(e) => set("maxGap", e.target.value)} error={errors["pacing.max_gap_s"]} />
          <TextField label="Most messages a day" type="number" min={1} max={100000} value={d.dailyCap} onChange={(e) => set("dailyCap", e.target.value)} error={errors["pacing.daily_cap"]} />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={d.warmup} onChange={(e) => set("warmup", e.target.checked)} /> Warm up new numbers (20 on day one, doubling daily)
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={d.quiet} onChange={(e) => set("quiet", e.target.checked)} /> Quiet hours (no sending at night)
        </label>
        {d.quiet && (
          <div className="grid gap-3 pl-6 sm:grid-cols-2">
            <TextField label="Quiet from" type="time" value={d.quietStart} onChange={(e) => set("quietStart", e.target.value)} error={errors["pacing.quiet_start"]} />
            <TextField label="Quiet until" type="time" value={d.quietEnd} onChange={(e) => set("quietEnd", e.target.value)} error={errors["pacing.quiet_end"]} />
          </div>
        )}
        {errors.pacing && !errors["pacing.min_gap_s"] && !errors["pacing.max_gap_s"] && <p className="text-sm text-red-700">{errors.pacing}</p>}
        {warnings.map((w) => (
          <Alert key={w} tone="warning">
            {w}
          </Alert>
        ))}
      </fieldset>
    </div>
  );
}

function TestPanel({ campaignId, sessionIds }: { campaignId: string; sessionIds: string[] }) {
  const sessions = useSessions(10_000);
  const connected = (sessions.data ?? []).filter((s) => s.status === "connected");
  const [sessionId, setSessionId] = useState("");
  const [to, setTo] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const from = sessionId || sessionIds[0] || connected[0]?.session_id || "";
  const errors = formErrors(error, ["session_id", "to"]);
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const queued = await unwrap(api.POST("/api/campaigns/{campaign_id}/test", { params: { path: { campaign_id: campaignId } }, body: { session_id: from, to: to.trim() } }));
      showToast(queued.message || "The test message is on its way.", "success");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Send a test">
      <p className="mb-2 text-sm text-slate-600">Sends the saved message once, rendered for that contact, to check how it looks on a phone.</p>
      <div className="grid items-end gap-3 sm:grid-cols-[1fr_1fr_auto]">
        <SelectField label="From" value={from} onChange={(e) => setSessionId(e.target.value)} error={errors.fields.session_id}>
          {connected.length === 0 && <option value="">No connected number</option>}
          {connected.map((s) => (
            <option key={s.session_id} value={s.session_id}>
              {s.label}
            </option>
          ))}
        </SelectField>
        <TextField label="To (a contact's phone)" inputMode="tel" placeholder="+44…" value={to} onChange={(e) => setTo(e.target.value)} error={errors.fields.to} />
        <Button variant="secondary" busy={busy} disabled={!from || !to.trim()} onClick={() => void send()}>
          Send test
        </Button>
      </div>
      {errors.form && (
        <div className="mt-2">
          <Alert>{errors.form}</Alert>
        </div>
      )}
    </Card>
  );
}
