import { useCallback, useEffect, useRef, useState } from "react";
import { createCampaign, updateCampaign, useRememberCampaign } from "../../../api/campaignsApi";
import type { Campaign } from "../../../api/types";
import { FIELD_OF, bodyOf, changesOf, draftOf, type Draft } from "./draft";

const AUTOSAVE_MS = 800;

/**
 * The composer's values and their saving: a draft is created (once it has a
 * message and a number) and then rewritten whole, shortly after each change; a
 * scheduled or paused campaign is saved on request with only what changed.
 * Saves run one after another.
 */
export function useDraftState(campaign: Campaign | undefined, defaultTimezone: string, firstConnected: string | undefined, onChange: () => void) {
  const remember = useRememberCampaign();
  const [d, setD] = useState<Draft>(() => draftOf(campaign, defaultTimezone));
  // The server's copy as last saved; a draft created here has no route id yet.
  const [saved, setSaved] = useState<Campaign | undefined>(campaign);
  const original = useRef<Draft>(draftOf(campaign, defaultTimezone));
  const [saveError, setSaveError] = useState<unknown>(null);
  // API fields the user changed since the last refusal: their old message no longer applies.
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [saving, setSaving] = useState(false);
  const [version, setVersion] = useState(0);
  const isDraft = (saved?.status ?? "draft") === "draft";

  const changed = useRef(onChange);
  changed.current = onChange;
  const set = useCallback(<K extends keyof Draft>(key: K, value: Draft[K]) => {
    setD((prev) => ({ ...prev, [key]: value }));
    setTouched((prev) => new Set([...prev, ...FIELD_OF[key]]));
    changed.current();
  }, []);

  // A new campaign sends from the first connected number until the user picks.
  useEffect(() => {
    if (!campaign && firstConnected) setD((prev) => (prev.sessionIds.length ? prev : { ...prev, sessionIds: [firstConnected] }));
  }, [campaign, firstConnected]);

  const dRef = useRef(d);
  dRef.current = d;
  const savedRef = useRef(saved);
  savedRef.current = saved;
  const lastSavedBody = useRef(campaign ? JSON.stringify(bodyOf(original.current)) : "");
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  /** Saves what is on screen; resolves to the saved campaign, or null when a new one cannot exist yet. */
  const save = useCallback((): Promise<Campaign | null> => {
    const run = async (): Promise<Campaign | null> => {
      const draft = dRef.current;
      const current = savedRef.current;
      const body: ReturnType<typeof bodyOf> & { deadline?: string | null } = bodyOf(draft);
      const key = JSON.stringify(body);
      if (!draft.deadline && original.current.deadline) body.deadline = null;
      if (current && key === lastSavedBody.current) return current;
      if (!current && (!draft.template.trim() || draft.sessionIds.length === 0)) return null;
      setSaving(true);
      try {
        let result: Campaign;
        if (!current) result = await createCampaign(body);
        else if (current.status === "draft") result = await updateCampaign(current.campaign_id, body);
        else result = await updateCampaign(current.campaign_id, changesOf(original.current, draft));
        lastSavedBody.current = key;
        original.current = draft;
        savedRef.current = result;
        setSaved(result);
        remember(result);
        setSaveError(null);
        setTouched(new Set());
        setVersion((v) => v + 1);
        // The address follows the new draft without remounting the form being typed in.
        if (!current) window.history.replaceState(window.history.state, "", `/campaigns/${result.campaign_id}/edit`);
        return result;
      } catch (error) {
        setSaveError(error);
        setTouched(new Set());
        throw error;
      } finally {
        setSaving(false);
      }
    };
    const next = queue.current.then(run, run);
    queue.current = next.catch(() => undefined);
    return next;
  }, [remember]);

  const draftKey = JSON.stringify(bodyOf(d));
  useEffect(() => {
    if (!isDraft || draftKey === lastSavedBody.current) return;
    const timer = setTimeout(() => void save().catch(() => undefined), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [draftKey, isDraft, save]);

  /** The campaign's id, saving a draft first (image, preview and test send need one). */
  const ensureDraft = useCallback(async () => (isDraft ? ((await save())?.campaign_id ?? null) : (savedRef.current?.campaign_id ?? null)), [isDraft, save]);
  const lastSavedKey = useCallback(() => lastSavedBody.current, []);

  return { d, set, saved, save, saving, saveError, touched, version, isDraft, ensureDraft, draftKey, lastSavedKey };
}
