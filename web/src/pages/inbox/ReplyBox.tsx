import { useRef, useState, type KeyboardEvent } from "react";
import { ApiError, messageOf } from "../../api/errors";
import { Alert, Button, cx } from "../../components/ui";
import { useI18n } from "../../i18n";
import { newClientId, useQuickReplies, useSendAnswer, type QuickReply } from "../../api/answerApi";
import { QuickRepliesManager } from "./QuickReplies";

/** The answer box under a conversation: text, an image, quick replies (button or "/"), Enter to send. */
export function ReplyBox({ conversationId, optedOut }: { conversationId: string; optedOut: boolean }) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const [image, setImage] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const [managing, setManaging] = useState(false);
  // One id per answer being written: a retry after a lost connection sends it once.
  const clientId = useRef(newClientId());
  const fileInput = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const send = useSendAnswer(conversationId);
  const slash = text.startsWith("/") ? text.slice(1).toLowerCase() : null;
  const showPicker = picking || slash !== null;

  if (optedOut) {
    return <p className="border-t border-slate-200 px-3 py-3 text-sm text-slate-700">{t("answer.optedOut")}</p>;
  }

  const submit = () => {
    if (send.isPending || (!text.trim() && !image)) return;
    setError(null);
    send.mutate(
      { text: text.trim(), image, clientId: clientId.current, onProgress: setProgress },
      {
        onSuccess: () => {
          setText("");
          setImage(null);
          clientId.current = newClientId();
        },
        onError: (e) =>
          setError(e instanceof ApiError && (e.code === "invalid_image" || e.code === "image_too_large") ? t("answer.imageBad", { message: e.message }) : messageOf(e)),
        onSettled: () => setProgress(null),
      },
    );
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (slash === null) submit();
    }
    if (event.key === "Escape" && showPicker) {
      setPicking(false);
      if (slash !== null) setText("");
    }
  };
  const pick = (q: QuickReply) => {
    setText(q.filled ?? q.text);
    setPicking(false);
    clientId.current = newClientId();
    box.current?.focus();
  };

  return (
    <div className="border-t border-slate-200 p-3">
      {showPicker && <QuickPicker conversationId={conversationId} filter={slash ?? ""} onPick={pick} onManage={() => setManaging(true)} />}
      {error && (
        <div className="mb-2">
          <Alert tone="error">{error}</Alert>
        </div>
      )}
      {image && (
        <p className="mb-2 flex items-center gap-2 text-sm text-slate-700">
          <span className="min-w-0 flex-1 truncate">{t("answer.imageReady", { name: image.name })}</span>
          {progress !== null && <progress max={1} value={progress} className="w-24" />}
          <Button size="sm" variant="ghost" onClick={() => setImage(null)}>
            {t("answer.removeImage")}
          </Button>
        </p>
      )}
      <label htmlFor={`answer-${conversationId}`} className="sr-only">
        {t("answer.label")}
      </label>
      <textarea
        id={`answer-${conversationId}`}
        ref={box}
        rows={2}
        value={text}
        maxLength={4096}
        placeholder={t("answer.placeholder")}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        className="w-full resize-y rounded-md border border-slate-300 bg-white px-3 py-2 text-base sm:text-sm"
        aria-describedby={`answer-hint-${conversationId}`}
      />
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <input
          ref={fileInput}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          className="sr-only"
          aria-label={t("answer.attach")}
          tabIndex={-1}
          onChange={(e) => {
            setImage(e.target.files?.[0] ?? null);
            e.target.value = "";
          }}
        />
        <Button size="sm" variant="secondary" onClick={() => fileInput.current?.click()}>
          <svg aria-hidden="true" viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
            <path d="m21 11-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7" />
          </svg>
          <span className="hidden sm:inline">{t("answer.attach")}</span>
          <span className="sr-only sm:hidden">{t("answer.attach")}</span>
        </Button>
        <Button size="sm" variant="secondary" aria-expanded={showPicker} onClick={() => setPicking((p) => !p)}>
          {t("quick.open")}
        </Button>
        <p id={`answer-hint-${conversationId}`} className="hidden min-w-0 flex-1 text-xs text-slate-600 sm:block">
          {t("answer.hint")}
        </p>
        <Button className="ml-auto" busy={send.isPending} disabled={!text.trim() && !image} onClick={submit}>
          {t("answer.send")}
        </Button>
      </div>
      {managing && <QuickRepliesManager onClose={() => setManaging(false)} />}
    </div>
  );
}

function QuickPicker({ conversationId, filter, onPick, onManage }: { conversationId: string; filter: string; onPick: (q: QuickReply) => void; onManage: () => void }) {
  const { t } = useI18n();
  const list = useQuickReplies(conversationId);
  const items = (list.data?.items ?? []).filter((q) => !filter || q.name.toLowerCase().includes(filter) || q.text.toLowerCase().includes(filter));
  return (
    <div className="mb-2 rounded-md border border-slate-200 bg-white shadow-sm" role="region" aria-label={t("quick.title")}>
      {list.isPending ? null : items.length === 0 ? (
        <p className="px-3 py-2 text-sm text-slate-600">{filter ? t("quick.noMatch", { q: filter }) : t("quick.none")}</p>
      ) : (
        <ul className="max-h-48 divide-y divide-slate-100 overflow-y-auto">
          {items.map((q) => (
            <li key={q.quick_reply_id}>
              <button type="button" className={cx("block w-full px-3 py-2 text-left hover:bg-slate-50")} onClick={() => onPick(q)}>
                <span className="block text-sm font-medium">{q.name}</span>
                <span className="block truncate text-xs text-slate-600">{q.filled ?? q.text}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="border-t border-slate-100 px-3 py-1.5 text-right">
        <button type="button" className="text-sm font-medium text-brand-700 underline" onClick={onManage}>
          {t("quick.manage")}
        </button>
      </div>
    </div>
  );
}
