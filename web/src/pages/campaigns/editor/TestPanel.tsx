import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { useSessions } from "../../../api/queries";
import { Alert, Button, Card, SelectField, TextField } from "../../../components/ui";
import { formErrors } from "../../../lib/forms";
import { showToast } from "../../../lib/toast";

/** One real message to the user's own phone; saves the draft first, so it works before "Save draft". */
export function TestPanel({ sessionIds, ensureDraft }: { sessionIds: string[]; ensureDraft: () => Promise<string | null> }) {
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
      const id = await ensureDraft();
      if (!id) throw new Error("Write the message first, then send a test.");
      const queued = await unwrap(api.POST("/api/campaigns/{campaign_id}/test", { params: { path: { campaign_id: id } }, body: { session_id: from, to: to.trim() } }));
      showToast(queued.message || "The test message is on its way.", "success");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Send a test">
      <p className="mb-2 text-sm text-slate-600">Sends the message once, filled in for that contact, to check how it looks on a phone.</p>
      <p className="mb-2 text-sm text-slate-600" data-testid="test-allowance">
        A test is a real message: it uses one message of your plan and counts toward the number’s daily limit. You can send up to 20 tests a day, never to a contact who opted out.
      </p>
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
