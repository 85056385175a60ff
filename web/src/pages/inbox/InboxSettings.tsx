import { useEffect, useState, type FormEvent } from "react";
import { useInboxSettings, useSaveInboxSettings } from "../../api/inboxApi";
import { Alert, Button, Card, ErrorState, Loading, TextField } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { showToast } from "../../lib/toast";
import { tr } from "../../i18n";
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
    save.mutate(Number(days), { onSuccess: () => showToast(tr("inboxSettings.saved"), "success") });
  };
  return (
    <Card title={tr("nav.inbox")}>
      {settings.isPending ? (
        <Loading what={tr("inboxSettings.what")} />
      ) : settings.isError ? (
        <ErrorState error={settings.error} what={tr("inboxSettings.what")} onRetry={() => settings.refetch()} />
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
          {errors.form && <Alert>{errors.form}</Alert>}
          <TextField
            label={tr("inboxSettings.days")}
            type="number"
            inputMode="numeric"
            min={1}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            error={errors.fields.retention_days ? tr("inboxSettings.days.error") : undefined}
            hint={tr("inboxSettings.days.hint")}
          />
          <div>
            <Button type="submit" busy={save.isPending}>
              {tr("contacts.dialog.save")}
            </Button>
          </div>
        </form>
      )}
      <InboxPreferences />
    </Card>
  );
}
