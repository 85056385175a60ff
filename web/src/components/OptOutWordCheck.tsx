import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useOptOutCheck } from "../api/contactsApi";
import { useI18n, type MessageKey } from "../i18n";
import { Alert } from "./ui";

/**
 * Under the message editor: when the text asks people to reply a word ("Responda SAIR")
 * that does not opt anyone out on this account, say so before the campaign goes out.
 * Self-contained: give it the message text.
 */
export function OptOutWordCheck({ text }: { text: string }) {
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), 500);
    return () => clearTimeout(timer);
  }, [text]);
  const { t } = useI18n();
  const check = useOptOutCheck(settled);
  const words = check.data?.words ?? [];
  const inactive = words.find((w) => !w.active);
  if (inactive) {
    const languages = inactive.languages.map((code) => t(`lang.${code}` as MessageKey)).join(" / ");
    return (
      <div data-testid="optout-word-warning">
        <Alert tone="warning">
          {languages ? t("composer.optout.inactive", { word: inactive.word, languages }) : t("composer.optout.unknown", { word: inactive.word })}{" "}
          <Link to="/settings" className="font-medium underline">
            {t("composer.optout.settings")}
          </Link>
        </Alert>
      </div>
    );
  }
  if (words.length > 0) {
    return <p className="text-xs text-emerald-800">{t("composer.optout.ok", { words: words.map((w) => w.word).join(", ") })}</p>;
  }
  return null;
}
