import type { Campaign, CampaignFields, CampaignPatch, PacingIn } from "../../../api/types";
import { currentLocale, tr } from "../../../i18n/current";

export const MAX_LENGTH = 4096;
/** New campaigns leave out contacts messaged in the last day (the API's default too). */
export const FREQUENCY_CAP_DEFAULT = 24;

/** Fields a 422 may name for the variants (loc "variants.<i>.template", "rollout.*"). */
const VARIANT_FIELDS = ["variants", "variants.0.template", "variants.1.template", "variants.2.template", "rollout", "rollout.test_size", "rollout.wait_hours"] as const;

function variantsDraftOf(c: Campaign | undefined): Pick<Draft, "variants" | "rollout" | "rolloutSize" | "rolloutHours"> {
  return {
    variants: (c?.variants ?? []).map((v) => v.template),
    rollout: Boolean(c?.rollout),
    rolloutSize: String(c?.rollout?.test_size ?? 200),
    rolloutHours: String(c?.rollout?.wait_hours ?? 4),
  };
}

function variantsBodyOf(d: Draft): Pick<CampaignFields, "variants" | "rollout"> {
  const rollout = d.rollout && d.variants.length > 0 ? { test_size: Number(d.rolloutSize), wait_hours: Number(d.rolloutHours) } : null;
  // A tab not yet written is not sent: the draft saves while the user is still on it.
  const texts = d.variants.filter((text) => text.trim());
  return { variants: texts.map((template) => ({ template })), rollout: texts.length > 0 ? rollout : null };
}

/** What the composer holds: the form's values as typed. */
export interface Draft {
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
  /** "Must be done by", local date-time in `timezone`; empty for none. */
  deadline: string;
  /** Leave out contacts messaged in the last N hours ("0": off). */
  frequencyCap: string;
  /** A/B: the texts of variants B-D (the template is A), and the winner rollout. */
  variants: string[];
  rollout: boolean;
  rolloutSize: string;
  rolloutHours: string;
}

export type SetDraft = <K extends keyof Draft>(key: K, value: Draft[K]) => void;

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

/** A name the user sees and may change: a draft needs one to save itself. */
export function defaultName(now = Date.now()): string {
  return tr("editor.defaultName", { date: new Intl.DateTimeFormat(currentLocale(), { day: "numeric", month: "short", year: "numeric" }).format(now) });
}

/** The campaign's "must be done by" (epoch ms), from an API that may not have it yet. */
const deadlineOf = (c: Campaign | undefined): number | null => (c as { deadline?: number | null } | undefined)?.deadline ?? null;

export function draftOf(c: Campaign | undefined, timezone: string): Draft {
  const pacing = (c?.pacing ?? {}) as Partial<PacingIn>;
  const audience = (c?.audience ?? {}) as { all?: boolean; tags?: string[] };
  return {
    name: c?.name ?? defaultName(),
    template: c?.template ?? "",
    // A new campaign goes to everyone until tags are chosen: most shops message all their customers.
    all: c ? Boolean(audience.all) : true,
    tags: audience.tags ?? [],
    onMissing: c?.on_missing_variable === "skip" ? "skip" : "block",
    sessionIds: c?.session_ids ?? [],
    // A paused campaign's past start time is history: only a time still ahead is "when it resumes".
    when: c?.send_at && !(c.status === "paused" && c.send_at <= Date.now()) ? "later" : "now",
    sendAt: c?.send_at && !(c.status === "paused" && c.send_at <= Date.now()) ? localInput(c.send_at, c.timezone) : "",
    timezone: c?.timezone ?? timezone,
    minGap: String(pacing.min_gap_s ?? 20),
    maxGap: String(pacing.max_gap_s ?? 60),
    dailyCap: String(pacing.daily_cap ?? 200),
    warmup: pacing.warmup ?? true,
    quiet: Boolean(pacing.quiet_start),
    quietStart: pacing.quiet_start ?? "21:00",
    quietEnd: pacing.quiet_end ?? "08:00",
    deadline: deadlineOf(c) ? localInput(deadlineOf(c)!, c!.timezone) : "",
    frequencyCap: String(c ? (c.frequency_cap_hours ?? 0) : FREQUENCY_CAP_DEFAULT),
    ...variantsDraftOf(c),
  };
}

export function pacingOf(d: Draft): PacingIn {
  return {
    min_gap_s: Number(d.minGap),
    max_gap_s: Number(d.maxGap),
    daily_cap: Number(d.dailyCap),
    warmup: d.warmup,
    quiet_start: d.quiet ? d.quietStart : null,
    quiet_end: d.quiet ? d.quietEnd : null,
  };
}

export function bodyOf(d: Draft): CampaignFields {
  const body: CampaignFields & { deadline?: string | null } = {
    name: d.name.trim(),
    template: d.template,
    audience: { all: d.all, tags: d.all ? [] : d.tags },
    on_missing_variable: d.onMissing,
    session_ids: d.sessionIds,
    send_at: d.when === "later" && d.sendAt ? d.sendAt : null,
    timezone: d.timezone,
    pacing: pacingOf(d),
    frequency_cap_hours: Math.max(0, Math.round(Number(d.frequencyCap) || 0)),
  };
  // Sent only when set, so a form without a deadline saves on any backend.
  if (d.deadline) body.deadline = d.deadline;
  Object.assign(body, variantsBodyOf(d));
  return body;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Only what the user changed since `original` was loaded: a paused or scheduled
 * campaign refuses audience and number changes once it started, and an untouched
 * start time may already lie in the past.
 */
export function changesOf(original: Draft, d: Draft): CampaignPatch {
  const before = bodyOf(original);
  const after = bodyOf(d);
  const patch: CampaignPatch & { deadline?: string | null } = {};
  if (after.name !== before.name) patch.name = after.name;
  if (after.template !== before.template) patch.template = after.template;
  if (!same(after.audience, before.audience)) patch.audience = after.audience;
  if (after.on_missing_variable !== before.on_missing_variable) patch.on_missing_variable = after.on_missing_variable;
  if (!same(after.session_ids, before.session_ids)) patch.session_ids = after.session_ids;
  if (after.send_at !== before.send_at || (after.send_at && after.timezone !== before.timezone)) {
    patch.send_at = after.send_at ?? null;
    patch.timezone = after.timezone;
  }
  if (!same(after.pacing, before.pacing)) patch.pacing = after.pacing;
  if (d.deadline !== original.deadline) patch.deadline = d.deadline || null;
  if (after.frequency_cap_hours !== before.frequency_cap_hours) patch.frequency_cap_hours = after.frequency_cap_hours ?? 0;
  if (!same(after.variants, before.variants)) patch.variants = after.variants ?? [];
  if (!same(after.rollout, before.rollout)) patch.rollout = after.rollout ?? null;
  return patch;
}

/** Advice, not rules: the API accepts these, but they put numbers at risk. */
export function pacingWarnings(d: Pick<Draft, "minGap" | "maxGap" | "dailyCap" | "warmup">): string[] {
  const out: string[] = [];
  if (Number(d.minGap) < 10 || Number(d.maxGap) < 10) out.push(tr("pace.warn.gaps"));
  if (Number(d.dailyCap) > 500) out.push(tr("pace.warn.cap"));
  if (!d.warmup) out.push(tr("pace.warn.warmup"));
  return out;
}

/** Which API field (as 422 details name it) each form value feeds. */
export const FIELD_OF: Record<keyof Draft, string[]> = {
  name: ["name"],
  template: ["template"],
  all: ["audience"],
  tags: ["audience"],
  onMissing: ["on_missing_variable"],
  sessionIds: ["session_ids"],
  when: ["send_at"],
  sendAt: ["send_at"],
  timezone: ["timezone"],
  minGap: ["pacing.min_gap_s", "pacing"],
  maxGap: ["pacing.max_gap_s", "pacing"],
  dailyCap: ["pacing.daily_cap"],
  warmup: ["pacing.warmup"],
  quiet: ["pacing.quiet_start", "pacing.quiet_end", "pacing"],
  quietStart: ["pacing.quiet_start", "pacing"],
  quietEnd: ["pacing.quiet_end", "pacing"],
  deadline: ["deadline"],
  frequencyCap: ["frequency_cap_hours"],
  variants: ["variants"],
  rollout: ["rollout"],
  rolloutSize: ["rollout.test_size", "rollout"],
  rolloutHours: ["rollout.wait_hours", "rollout"],
};

export const FORM_FIELDS = ["name", "template", "audience", "session_ids", "send_at", "timezone", "pacing.min_gap_s", "pacing.max_gap_s", "pacing.daily_cap", "pacing.quiet_start", "pacing.quiet_end", "pacing", "on_missing_variable", "deadline", "frequency_cap_hours", ...VARIANT_FIELDS] as const;
