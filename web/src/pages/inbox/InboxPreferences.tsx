import { useState } from "react";
import { messageOf } from "../../api/errors";
import { useInboxSettings } from "../../api/inboxApi";
import { Button } from "../../components/ui";
import { useI18n } from "../../i18n";
import { showToast } from "../../lib/toast";
import { useSetDigest, useSetTyping, useTypingNumbers } from "../../api/answerApi";
import { notificationsPermission, requestNotifications } from "./ReplyNotifier";

/** The inbox's other settings: the daily digest, browser notifications, "typing…" per number. */
export function InboxPreferences() {
  const { t } = useI18n();
  const settings = useInboxSettings();
  const setDigest = useSetDigest();
  const numbers = useTypingNumbers();
  const setTyping = useSetTyping();
  // The boxes follow the click at once; a refusal puts them back and says why.
  const [digestOn, setDigestOn] = useState<boolean | null>(null);
  const [typingOn, setTypingOn] = useState<Record<string, boolean>>({});
  const saved = () => showToast(t("prefs.saved"), "success");
  const failed = (e: unknown) => showToast(messageOf(e), "error");
  return (
    <div className="mt-5 flex flex-col gap-4 border-t border-slate-200 pt-4">
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          className="mt-0.5"
          checked={digestOn ?? settings.data?.digest === "daily"}
          disabled={!settings.data}
          onChange={(e) => {
            const on = e.target.checked;
            setDigestOn(on);
            setDigest.mutate(
              { retentionDays: settings.data!.retention_days, digest: on ? "daily" : "off" },
              {
                onSuccess: saved,
                onError: (error) => {
                  setDigestOn(!on);
                  failed(error);
                },
              },
            );
          }}
        />
        <span>
          <span className="font-medium">{t("prefs.digest")}</span>
          <span className="block text-xs text-slate-600">{t("prefs.digest.hint")}</span>
        </span>
      </label>
      <BrowserNotifications />
      <fieldset className="flex flex-col gap-2">
        <legend className="text-sm font-medium">{t("prefs.typing")}</legend>
        <p className="text-xs text-slate-600">{t("prefs.typing.hint")}</p>
        {(numbers.data?.items.length ?? 0) === 0 && numbers.data && <p className="text-sm text-slate-700">{t("prefs.typing.none")}</p>}
        {numbers.data?.items.map((n) => (
          <label key={n.session_id} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={typingOn[n.session_id] ?? n.show_typing}
              onChange={(e) => {
                const on = e.target.checked;
                setTypingOn((all) => ({ ...all, [n.session_id]: on }));
                setTyping.mutate(
                  { sessionId: n.session_id, on },
                  {
                    onSuccess: saved,
                    onError: (error) => {
                      setTypingOn((all) => ({ ...all, [n.session_id]: !on }));
                      failed(error);
                    },
                  },
                );
              }}
            />
            {n.label}
          </label>
        ))}
      </fieldset>
    </div>
  );
}

function BrowserNotifications() {
  const { t } = useI18n();
  const [permission, setPermission] = useState(notificationsPermission());
  if (permission === "unsupported") return <p className="text-sm text-slate-700">{t("notify.unsupported")}</p>;
  if (permission === "granted") return <p className="text-sm text-slate-700">{t("notify.allowed")}</p>;
  if (permission === "denied") return <p className="text-sm text-slate-700">{t("notify.blocked")}</p>;
  return (
    <div>
      <Button variant="secondary" size="sm" onClick={() => void requestNotifications().then(setPermission)}>
        {t("notify.enable")}
      </Button>
    </div>
  );
}
