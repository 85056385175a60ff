import { messageOf } from "../../api/errors";
import { useNotificationSettings, useSaveNotificationSettings, type EmailSettings as Settings } from "../../api/settingsApi";
import { Card } from "../../components/ui";
import { useI18n, type MessageKey } from "../../i18n";

const CHOICES: [keyof Settings, MessageKey][] = [
  ["campaign_started", "campaignEmails.started"],
  ["campaign_paused", "campaignEmails.paused"],
  ["campaign_waiting", "campaignEmails.waiting"],
  ["campaign_finished", "campaignEmails.finished"],
];

/** Which campaign events also send an email; the in-app notice always comes. */
export function CampaignEmails() {
  const { t } = useI18n();
  const settings = useNotificationSettings();
  const save = useSaveNotificationSettings();
  if (!settings.data) return null;
  const current = settings.data;
  return (
    <Card title={t("campaignEmails.title")}>
      <fieldset>
        <legend className="mb-2 text-sm text-slate-700">{t("campaignEmails.legend")}</legend>
        <div className="flex flex-col gap-1">
          {CHOICES.map(([key, label]) => (
            <label key={key} className="flex items-start gap-2 text-sm">
              <input type="checkbox" className="mt-1" checked={Boolean(current[key])} disabled={save.isPending} onChange={(e) => save.mutate({ ...current, [key]: e.target.checked })} /> {t(label)}
            </label>
          ))}
        </div>
        {save.error != null && <p className="mt-2 text-sm text-red-700">{messageOf(save.error)}</p>}
      </fieldset>
    </Card>
  );
}
