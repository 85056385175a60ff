import { useState } from "react";
import { sendTestMessage } from "../../../api/campaignsApi";
import { useSessions } from "../../../api/queries";
import { Alert, Button, Card, SelectField, TextField } from "../../../components/ui";
import { formErrors } from "../../../lib/forms";
import { formatCount } from "../../../lib/format";
import { showToast } from "../../../lib/toast";
import { tr, trPlural } from "../../../i18n";

const LETTERS = ["A", "B", "C", "D"] as const;
type Letter = (typeof LETTERS)[number];

/** One real message to the user's own phone; saves the draft first, so it works before "Save draft". */
export function TestPanel({ sessionIds, ensureDraft, variantCount = 1 }: { sessionIds: string[]; ensureDraft: () => Promise<string | null>; variantCount?: number }) {
  const sessions = useSessions(10_000);
  const connected = (sessions.data ?? []).filter((s) => s.status === "connected");
  const [sessionId, setSessionId] = useState("");
  const [to, setTo] = useState("");
  // With A/B variants, which one to try (A is the main message).
  const letters: Letter[] = LETTERS.slice(0, Math.max(1, Math.min(variantCount, LETTERS.length)));
  const [variant, setVariant] = useState<Letter>("A");
  const chosen = letters.includes(variant) ? variant : "A";
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The allowance as the last test's answer counted it (none before a test is sent).
  const [left, setLeft] = useState<{ left: number; perDay: number } | null>(null);
  const from = sessionId || sessionIds[0] || connected[0]?.session_id || "";
  const errors = formErrors(error, ["session_id", "to", "variant"]);
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const id = await ensureDraft();
      if (!id) throw new Error(tr("test.writeFirst"));
      const queued = await sendTestMessage(id, from, to.trim(), letters.length > 1 ? chosen : undefined);
      if (Number.isFinite(queued.tests_left) && Number.isFinite(queued.tests_per_day)) setLeft({ left: queued.tests_left, perDay: queued.tests_per_day });
      showToast(tr("test.onItsWay"), "success");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={tr("test.title")}>
      <p className="mb-2 text-sm text-slate-600">{tr("test.intro")}</p>
      <p className="mb-2 text-sm text-slate-600" data-testid="test-allowance">
        {tr("test.allowance")}
      </p>
      {left && (
        <p className="mb-2 text-sm font-medium text-slate-700" data-testid="tests-left" aria-live="polite">
          {trPlural("test.left", left.left, { allowed: formatCount(left.perDay) })}
        </p>
      )}
      <div className={`grid items-end gap-3 ${letters.length > 1 ? "sm:grid-cols-[1fr_auto_1fr_auto]" : "sm:grid-cols-[1fr_1fr_auto]"}`}>
        <SelectField label={tr("test.from")} value={from} onChange={(e) => setSessionId(e.target.value)} error={errors.fields.session_id}>
          {connected.length === 0 && <option value="">{tr("test.noNumber")}</option>}
          {connected.map((s) => (
            <option key={s.session_id} value={s.session_id}>
              {s.label}
            </option>
          ))}
        </SelectField>
        {letters.length > 1 && (
          <SelectField label={tr("test.variant")} value={chosen} onChange={(e) => setVariant(e.target.value as Letter)} error={errors.fields.variant}>
            {letters.map((letter) => (
              <option key={letter} value={letter}>
                {tr("variants.tab", { letter })}
              </option>
            ))}
          </SelectField>
        )}
        <TextField label={tr("test.to")} inputMode="tel" placeholder="+44…" value={to} onChange={(e) => setTo(e.target.value)} error={errors.fields.to} />
        <Button variant="secondary" busy={busy} disabled={!from || !to.trim()} onClick={() => void send()}>
          {tr("test.send")}
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
