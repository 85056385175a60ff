import { useState, type FormEvent } from "react";
import { messageOf } from "../../api/errors";
import { Alert, Button, Modal, TextField } from "../../components/ui";
import { useI18n } from "../../i18n";
import { showToast } from "../../lib/toast";
import { useDeleteQuickReply, useQuickReplies, useSaveQuickReply, type QuickReply } from "../../api/answerApi";

/** Saved answers of the account: list, add, edit, delete (opened from the answer box). */
export function QuickRepliesManager({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const list = useQuickReplies();
  const remove = useDeleteQuickReply();
  const [editing, setEditing] = useState<QuickReply | "new" | null>(null);

  return (
    <Modal title={t("quick.title")} onClose={onClose}>
      {editing ? (
        <QuickReplyForm item={editing === "new" ? null : editing} onDone={() => setEditing(null)} />
      ) : (
        <>
          {(list.data?.items.length ?? 0) === 0 ? (
            <p className="text-sm text-slate-700">{t("quick.none")}</p>
          ) : (
            <ul className="divide-y divide-slate-100 rounded-md border border-slate-200">
              {list.data!.items.map((q) => (
                <li key={q.quick_reply_id} className="flex items-start gap-2 px-3 py-2">
                  <div className="min-w-0 flex-1">
                    <p className="text-sm font-medium">{q.name}</p>
                    <p className="whitespace-pre-wrap break-words text-xs text-slate-600">{q.text}</p>
                  </div>
                  <Button size="sm" variant="ghost" onClick={() => setEditing(q)}>
                    {t("quick.edit")}
                  </Button>
                  <Button
                    size="sm"
                    variant="ghost"
                    busy={remove.isPending && remove.variables === q.quick_reply_id}
                    onClick={() =>
                      remove.mutate(q.quick_reply_id, {
                        onSuccess: () => showToast(t("quick.deleted"), "success"),
                        onError: (e) => showToast(messageOf(e), "error"),
                      })
                    }
                  >
                    {t("quick.delete")}
                  </Button>
                </li>
              ))}
            </ul>
          )}
          <div className="mt-4 flex justify-end gap-2">
            <Button variant="secondary" onClick={onClose}>
              {t("quick.close")}
            </Button>
            <Button onClick={() => setEditing("new")}>{t("quick.add")}</Button>
          </div>
        </>
      )}
    </Modal>
  );
}

function QuickReplyForm({ item, onDone }: { item: QuickReply | null; onDone: () => void }) {
  const { t } = useI18n();
  const save = useSaveQuickReply();
  const [name, setName] = useState(item?.name ?? "");
  const [text, setText] = useState(item?.text ?? "");
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { id: item?.quick_reply_id, name: name.trim(), text },
      {
        onSuccess: () => {
          showToast(t("quick.saved"), "success");
          onDone();
        },
      },
    );
  };
  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3">
      {save.isError && <Alert tone="error">{messageOf(save.error)}</Alert>}
      <TextField label={t("quick.name")} value={name} maxLength={60} required onChange={(e) => setName(e.target.value)} />
      <div className="flex flex-col gap-1">
        <label htmlFor="quick-reply-text" className="text-sm font-medium text-slate-800">
          {t("quick.text")}
        </label>
        <textarea
          id="quick-reply-text"
          rows={4}
          required
          maxLength={4096}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-describedby="quick-reply-hint"
          className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base sm:text-sm"
        />
        <p id="quick-reply-hint" className="text-xs text-slate-600">
          {t("quick.textHint")}
        </p>
      </div>
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          {t("quick.cancel")}
        </Button>
        <Button type="submit" busy={save.isPending} disabled={!name.trim() || !text.trim()}>
          {t("quick.save")}
        </Button>
      </div>
    </form>
  );
}
