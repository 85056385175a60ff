import { useEffect, useRef } from "react";
import { fetchUnreadConversations, useInboxSummary } from "../../api/inboxApi";
import { useI18n } from "../../i18n";
import { displayPhone } from "../contacts/Contacts";
import { mediaWords } from "./MessageBits";

type Permission = NotificationPermission | "unsupported";

export function notificationsPermission(): Permission {
  return typeof globalThis.Notification === "undefined" ? "unsupported" : globalThis.Notification.permission;
}

export async function requestNotifications(): Promise<Permission> {
  if (typeof globalThis.Notification === "undefined") return "unsupported";
  return globalThis.Notification.requestPermission();
}

/**
 * A browser notification per conversation, not per message: when a conversation turns
 * unread (a reply to a read or new one). Its tag is the conversation, so a second reply
 * before it is read replaces the notice instead of adding one. Rides the badge's poll:
 * the unread list is read only when the inbox changed.
 */
export function ReplyNotifier() {
  const { t } = useI18n();
  const summary = useInboxSummary();
  const version = summary.data?.version;
  const known = useRef<Map<string, number> | null>(null); // unread conversation → its last_at
  useEffect(() => {
    if (version === undefined || notificationsPermission() !== "granted") return;
    let cancelled = false;
    void fetchUnreadConversations()
      .then((page) => {
        if (cancelled) return;
        const first = known.current === null;
        const now = new Map(page.items.map((c) => [c.conversation_id, c.last_at]));
        for (const c of page.items) {
          if (first || known.current!.has(c.conversation_id)) continue;
          const who = c.name || displayPhone(c.phone);
          const kind = c.last_kind;
          const text = kind ? `${mediaWords(kind, t)}${c.last_text ? `: ${c.last_text}` : ""}` : (c.last_text ?? "");
          const notice = new globalThis.Notification(t("notify.newReply", { who }), { body: text, tag: c.conversation_id });
          notice.onclick = () => {
            globalThis.focus();
            globalThis.location.assign(`/inbox/${c.conversation_id}`);
          };
        }
        known.current = now;
      })
      .catch(() => undefined); // the badge's own poll shows the error state
    return () => {
      cancelled = true;
    };
  }, [version, t]);
  return null;
}
