import { useEffect, useState, type FormEvent } from "react";
import { useInboxSettings, useSaveInboxSettings } from "../../api/inboxApi";
import { Alert, Button, Card, ErrorState, Loading, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { showToast } from "../../lib/toast";
import { InboxPreferences } from "./InboxPreferences";

/** How long the texts of replies are kept (the conversations stay, without the words). */
export function InboxRetentionCard() {
  const settings = useInboxSettings();
  const save = useSaveInboxSettings();
  const [days, setDays] = useState("");
  const errors = formErrors(save.error, ["retention_days"]);
  useEffect(() => {
    if (settings.data) setDays(String(settings.data.retention_days));
  }, [settings.data]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(Number(days), { onSuccess: () => showToast("Saved. New replies are kept this long.", "success") });
  };
  return (
    <Card title="Inbox">
      {settings.isPending ? (
        <Loading what="inbox settings" />
      ) : settings.isError ? (
        <ErrorState error={settings.error} what="inbox settings" onRetry={() => settings.refetch()} />
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
          {errors.form && <Alert>{errors.form}</Alert>}
          <TextField
            label="Keep reply texts for (days)"
            type="number"
            inputMode="numeric"
            min={1}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            error={errors.fields.retention_days ? "Enter a number of days from 1 to 3650." : undefined}
            hint="After this, the words of a reply are deleted; who replied and when stay. Applies to replies from now on."
          />
          <div>
            <Button type="submit" busy={save.isPending}>
              Save
            </Button>
          </div>
        </form>
      )}
      <InboxPreferences />
    </Card>
  );
}
