import { useEffect, useId, useState, type KeyboardEvent, type ReactNode } from "react";
import { previewCampaign, useAudienceContacts } from "../../../api/campaignsApi";
import { PhoneBubble } from "../../../components/WhatsAppText";
import { Button, TextField, cx } from "../../../components/ui";
import { useI18n } from "../../../i18n";
import { contactName } from "../../contacts/Contacts";
import { MAX_LENGTH, type Draft, type SetDraft } from "./draft";
import { MessageEditor } from "./MessageSection";

const LETTERS = ["A", "B", "C", "D"] as const;
const letterOf = (i: number): string => LETTERS[i] ?? "";

/**
 * A/B variants in the composer: tabs A-D over the message. Tab A is the campaign's
 * own message (`children`); B-D each edit one more text. With a variant, the
 * winner rollout can be turned on. Errors the API names `variants.<i>.template`
 * show on their tab.
 */
export function VariantsSection({ d, set, errors, known, locked, campaignId, version, children }: { d: Draft; set: SetDraft; errors: Record<string, string>; known: string[]; locked: boolean; campaignId: string | null; version: number; children: ReactNode }) {
  const { t, n } = useI18n();
  const [active, setActive] = useState(0);
  const base = useId();
  const count = d.variants.length + 1;
  const current = Math.min(active, count - 1);
  const tabId = (i: number) => `${base}-tab-${i}`;
  const panelId = `${base}-panel`;

  const setVariant = (index: number, text: string) => set("variants", d.variants.map((v, i) => (i === index ? text : v)));
  const add = () => {
    set("variants", [...d.variants, ""]);
    setActive(count);
  };
  const remove = (index: number) => {
    const next = d.variants.filter((_, i) => i !== index);
    set("variants", next);
    if (next.length === 0) set("rollout", false);
    setActive(index); // the tab before the removed one (A is 0)
  };
  const onKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = (current + step + count) % count;
    setActive(next);
    document.getElementById(tabId(next))?.focus();
  };

  const problems = d.variants.map((text, i) => {
    const letter = letterOf(i + 1);
    if (errors[`variants.${i}.template`]) return errors[`variants.${i}.template`];
    if (text.length > MAX_LENGTH) return t("variants.tooLong", { letter, count: n(text.length), max: n(MAX_LENGTH) });
    return undefined;
  });

  if (d.variants.length === 0) {
    return (
      <div className="flex flex-col gap-2">
        {children}
        {!locked && (
          <div>
            <Button size="sm" variant="secondary" onClick={add}>
              + {t("variants.add")}
            </Button>
          </div>
        )}
      </div>
    );
  }

  const index = current - 1; // the variant shown, -1 for A
  return (
    <div className="flex flex-col gap-2" data-testid="variants">
      <div className="flex flex-wrap items-end gap-2 border-b border-slate-200">
        <div role="tablist" aria-label={t("variants.tabs")} className="flex gap-1">
          {LETTERS.slice(0, count).map((letter, i) => (
            <button
              key={letter}
              id={tabId(i)}
              type="button"
              role="tab"
              aria-selected={i === current}
              aria-controls={panelId}
              tabIndex={i === current ? 0 : -1}
              onClick={() => setActive(i)}
              onKeyDown={onKey}
              className={cx(
                "-mb-px rounded-t-md border px-3 py-1.5 text-sm font-medium",
                i === current ? "border-slate-200 border-b-white bg-white text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900",
                i > 0 && problems[i - 1] ? "text-red-700" : "",
              )}
            >
              {t("variants.tab", { letter })}
            </button>
          ))}
        </div>
        {!locked && count < LETTERS.length && (
          <Button size="sm" variant="secondary" onClick={add} className="mb-1">
            + {t("variants.add")}
          </Button>
        )}
      </div>
      <p className="text-xs text-slate-600">{locked ? t("variants.locked") : t("variants.hint")}</p>
      <div role="tabpanel" id={panelId} aria-labelledby={tabId(current)} className="flex flex-col gap-2">
        {index < 0 ? (
          children
        ) : (
          <>
            {/* Fixed once launched: shown, not editable. */}
            <fieldset disabled={locked} className="min-w-0">
            <MessageEditor key={index} value={d.variants[index] ?? ""} onChange={(v) => setVariant(index, v)} error={problems[index]} known={known} onMissing={d.onMissing} setOnMissing={(v) => set("onMissing", v)} />
            </fieldset>
            {!d.variants[index]?.trim() ? <p className="text-sm text-slate-600">{t("variants.empty", { letter: letterOf(index + 1) })}</p> : <VariantPreview campaignId={campaignId} version={version} letter={letterOf(index + 1)} text={d.variants[index] ?? ""} all={d.all} tags={d.tags} />}
            {!locked && (
              <div>
                <Button size="sm" variant="secondary" onClick={() => remove(index)}>
                  {t("variants.remove", { letter: letterOf(index + 1) })}
                </Button>
              </div>
            )}
          </>
        )}
      </div>
      <RolloutFields d={d} set={set} errors={errors} locked={locked} />
    </div>
  );
}

/** The variant as the first contact of the audience receives it (the text as typed until saved). */
function VariantPreview({ campaignId, version, letter, text, all, tags }: { campaignId: string | null; version: number; letter: string; text: string; all: boolean; tags: string[] }) {
  const { t } = useI18n();
  const contacts = useAudienceContacts(all, tags, "");
  const contact = contacts.data?.[0];
  const [rendered, setRendered] = useState<string | null>(null);
  useEffect(() => {
    if (!campaignId || !contact) return setRendered(null);
    let stale = false;
    previewCampaign(campaignId, contact.phone, letter as "A" | "B" | "C" | "D")
      .then((p) => !stale && setRendered(p.text))
      .catch(() => !stale && setRendered(null)); // not saved yet: the text as typed
    return () => {
      stale = true;
    };
  }, [campaignId, contact, letter, version]);
  return (
    <div className="flex flex-col gap-1 rounded-md border border-slate-200 bg-slate-50 p-3">
      <p className="text-sm font-medium text-slate-800">{rendered !== null && contact ? t("variants.preview", { letter, name: contactName(contact) }) : t("variants.preview.typed", { letter })}</p>
      <PhoneBubble text={rendered ?? text} testId="variant-preview" />
    </div>
  );
}

function RolloutFields({ d, set, errors, locked }: { d: Draft; set: SetDraft; errors: Record<string, string>; locked: boolean }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <fieldset disabled={locked} className="mt-1 flex flex-col gap-2 rounded-md border border-slate-200 p-3">
      <legend className="sr-only">{t("variants.rollout")}</legend>
      <label htmlFor={id} className="inline-flex items-center gap-2 text-sm font-medium text-slate-800">
        <input id={id} type="checkbox" checked={d.rollout} onChange={(e) => set("rollout", e.target.checked)} aria-describedby={`${id}-hint`} />
        {t("variants.rollout")}
      </label>
      <p id={`${id}-hint`} className="text-xs text-slate-600">
        {t("variants.rollout.hint")}
      </p>
      {d.rollout && (
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField label={t("variants.rollout.size")} type="number" inputMode="numeric" min={2} step={1} value={d.rolloutSize} onChange={(e) => set("rolloutSize", e.target.value)} error={errors["rollout.test_size"] ?? errors.rollout} />
          <TextField label={t("variants.rollout.hours")} type="number" inputMode="decimal" min={0} max={168} step="any" value={d.rolloutHours} onChange={(e) => set("rolloutHours", e.target.value)} hint={t("variants.rollout.hours.hint")} error={errors["rollout.wait_hours"]} />
        </div>
      )}
    </fieldset>
  );
}
