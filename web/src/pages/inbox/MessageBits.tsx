import type { MessageKey } from "../../i18n";
import { useI18n } from "../../i18n";
import { cx } from "../../components/ui";

const KINDS: Record<string, MessageKey> = {
  image: "media.image",
  video: "media.video",
  audio: "media.audio",
  ptt: "media.audio",
  document: "media.document",
  sticker: "media.sticker",
  location: "media.location",
  vcard: "media.contact",
  multi_vcard: "media.contact",
};

/** "📷 Photo", "🎤 Audio", … for a media message (its caption, if any, follows). */
export function mediaWords(kind: string, t: (key: MessageKey) => string): string {
  return t(KINDS[kind] ?? "media.other");
}

export function MediaLabel({ kind }: { kind: string }) {
  const { t } = useI18n();
  return <p className="text-sm font-medium text-slate-700">{mediaWords(kind, t)}</p>;
}

/** "📷 Photo: caption" in one line, for the conversation list. */
export function MediaPreview({ kind, text }: { kind: string; text: string | null | undefined }) {
  const { t } = useI18n();
  const words = mediaWords(kind, t);
  return <>{text ? `${words}: ${text}` : words}</>;
}

const REASONS: Record<string, MessageKey> = {
  opted_out: "answer.reason.opted_out",
  chat_not_found: "answer.reason.chat_not_found",
  not_on_whatsapp: "answer.reason.not_on_whatsapp",
  session_error: "answer.reason.session_error",
  timeout: "answer.reason.timeout",
  media_error: "answer.reason.media_error",
  in_flight: "answer.reason.in_flight",
};

const TICKS: Record<string, string> = { queued: "◷", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };
const STATUS_WORDS: Record<string, MessageKey> = {
  queued: "answer.status.queued",
  sent: "answer.status.sent",
  delivered: "answer.status.delivered",
  read: "answer.status.read",
  failed: "answer.status.failed",
};

/** WhatsApp-like ticks with the status in words beside them (and why, when it failed). */
export function StatusTicks({ status, reason }: { status: string; reason: string | null }) {
  const { t } = useI18n();
  const words = STATUS_WORDS[status] ? t(STATUS_WORDS[status]) : status;
  return (
    <span className={cx("ml-1 whitespace-nowrap", status === "failed" && "text-red-700")} data-status={status}>
      {" · "}
      <span aria-hidden="true" className={cx("font-semibold", status === "read" && "text-sky-600")}>
        {TICKS[status] ?? ""}
      </span>{" "}
      {status === "failed" ? t("answer.notSent", { reason: t(REASONS[reason ?? ""] ?? "answer.reason.other") }) : words}
    </span>
  );
}

/** An answer still waiting to go, or sent in the last five minutes and not yet read. */
export function isAnswerInFlight(items: { reply_id?: string | null; status?: string | null; at: number }[], now = Date.now()): boolean {
  return items.some((m) => m.reply_id && (m.status === "queued" || ((m.status === "sent" || m.status === "delivered") && now - m.at < 300_000)));
}
