import { useEffect, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useConversations, useMarkConversationRead, useThread, type Conversation, type InboxFilters } from "../../api/inboxApi";
import { useSessions } from "../../api/queries";
import { Badge } from "../../components/SessionStatus";
import { Button, EmptyState, ErrorState, Loading, PageHeader, SelectField, TextField, cx } from "../../components/ui";
import { formatCount, formatDayTime } from "../../lib/format";
import { displayPhone } from "../contacts/Contacts";
import { tr } from "../../i18n";
import { MediaLabel, MediaPreview, StatusTicks, isAnswerInFlight } from "./MessageBits";
import { ReplyBox } from "./ReplyBox";

/** Replies from every number, newest first; a conversation opens beside the list (below 768 px, instead of it). */
export function InboxPage() {
  const { conversationId } = useParams();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get("q") ?? "");
  const [limit, setLimit] = useState(50);
  const filters: InboxFilters = {
    q: params.get("q") ?? undefined,
    unread: params.get("unread") === "true",
    session_id: params.get("number") ?? undefined,
    campaign_id: params.get("campaign") ?? undefined,
    limit,
  };
  const list = useConversations(filters);
  const sessions = useSessions(60_000);
  const labels = new Map((sessions.data ?? []).map((s) => [s.session_id, s.label]));
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  useEffect(() => {
    // Search as you type, without a request per keystroke.
    const timer = setTimeout(() => {
      if ((params.get("q") ?? "") !== search.trim()) setFilter("q", search.trim());
    }, 300);
    return () => clearTimeout(timer);
  });
  const query = params.toString() ? `?${params.toString()}` : "";
  const unread = list.data?.unread_conversations ?? 0;

  return (
    <>
      <PageHeader title={tr("nav.inbox")} />
      <div className="grid gap-4 md:grid-cols-[minmax(0,22rem)_minmax(0,1fr)]">
        <section aria-label={tr("inbox.conversations")} className={cx("min-w-0", conversationId && "hidden md:block")}>
          <div className="mb-3 grid gap-2">
            <TextField label={tr("inbox.search")} placeholder={tr("inbox.search.placeholder")} value={search} onChange={(e) => setSearch(e.target.value)} type="search" />
            <div className="flex flex-wrap items-end gap-3">
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={filters.unread} onChange={(e) => setFilter("unread", e.target.checked ? "true" : "")} />
                {tr("inbox.unreadOnly")}{unread > 0 && ` (${formatCount(unread)})`}
              </label>
              {(sessions.data?.length ?? 0) > 1 && (
                <div className="min-w-40 flex-1">
                  <SelectField label={tr("inbox.number")} value={filters.session_id ?? ""} onChange={(e) => setFilter("number", e.target.value)}>
                    <option value="">{tr("inbox.allNumbers")}</option>
                    {sessions.data!.map((s) => (
                      <option key={s.session_id} value={s.session_id}>
                        {s.label}
                      </option>
                    ))}
                  </SelectField>
                </div>
              )}
            </div>
            {filters.campaign_id && (
              <p className="text-sm text-slate-700">
                {tr("inbox.oneCampaign")}{" "}
                <button type="button" className="font-medium text-brand-700 underline" onClick={() => setFilter("campaign", "")}>
                  {tr("inbox.showAll")}
                </button>
              </p>
            )}
          </div>
          {list.isPending ? (
            <Loading what={tr("inbox.conversations.what")} />
          ) : list.isError ? (
            <ErrorState error={list.error} what={tr("inbox.conversations.what")} onRetry={() => list.refetch()} />
          ) : list.data.items.length === 0 ? (
            <EmptyState title={filters.q || filters.unread || filters.session_id || filters.campaign_id ? tr("inbox.noMatch") : tr("inbox.none")}>
              {tr("inbox.none.text")}
            </EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100 overflow-hidden rounded-lg border border-slate-200 bg-white">
              {list.data.items.map((c) => (
                <ConversationRow key={c.conversation_id} c={c} active={c.conversation_id === conversationId} number={labels.get(c.session_id)} query={query} />
              ))}
            </ul>
          )}
          {list.data?.next_cursor && limit < 200 && (
            <div className="mt-3 text-center">
              <Button variant="secondary" busy={list.isFetching} onClick={() => setLimit((n) => Math.min(200, n * 2))}>
                {tr("inbox.showMore")}
              </Button>
            </div>
          )}
        </section>
        <section aria-label={tr("inbox.conversation")} className={cx("min-w-0", !conversationId && "hidden md:block")}>
          {conversationId ? (
            <ThreadView
              id={conversationId}
              number={labels}
              back={`/inbox${query}`}
              lastAt={list.data?.items.find((c) => c.conversation_id === conversationId)?.last_at}
            />
          ) : (
            <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-sm text-slate-600">{tr("inbox.choose")}</p>
          )}
        </section>
      </div>
    </>
  );
}

function ConversationRow({ c, active, number, query }: { c: Conversation; active: boolean; number?: string; query: string }) {
  const who = c.name || displayPhone(c.phone);
  return (
    <li>
      <Link
        to={`/inbox/${c.conversation_id}${query}`}
        aria-current={active ? "true" : undefined}
        className={cx("block px-3 py-3 hover:bg-slate-50", active && "bg-brand-50")}
      >
        <div className="flex items-baseline gap-2">
          <span className={cx("min-w-0 flex-1 truncate", c.unread > 0 ? "font-semibold" : "font-medium")}>{who}</span>
          <time className="shrink-0 text-xs text-slate-600" dateTime={new Date(c.last_at).toISOString()}>
            {formatDayTime(c.last_at)}
          </time>
        </div>
        <div className="mt-0.5 flex items-center gap-2">
          <p className={cx("min-w-0 flex-1 truncate text-sm", c.unread > 0 ? "text-slate-900" : "text-slate-600")}>
            {c.last_kind ? <MediaPreview kind={c.last_kind} text={c.last_text} /> : (c.last_text ?? <span className="italic">{tr("inbox.notKept")}</span>)}
          </p>
          {c.unread > 0 && (
            <span className="shrink-0 rounded-full bg-brand-700 px-2 text-xs font-semibold leading-5 text-white" aria-label={tr("inbox.unreadCount", { count: formatCount(c.unread) })}>
              {formatCount(c.unread)}
            </span>
          )}
        </div>
        <p className="mt-0.5 truncate text-xs text-slate-600">
          {c.name && `${displayPhone(c.phone)} · `}
          {number ? tr("inbox.toNumber", { number }) : null}
          {c.opted_out && ` · ${tr("inbox.optedOut.lower")}`}
        </p>
      </Link>
    </li>
  );
}

function ThreadView({ id, number, back, lastAt }: { id: string; number: Map<string, string>; back: string; lastAt?: number }) {
  // The list polls cheaply (ETag); the thread is read again when the list says a reply
  // came, and every minute for the sent messages' delivered/read ticks.
  const [fast, setFast] = useState(false);
  // Every 3 s while an answer is on its way (its ticks move), else every minute.
  const thread = useThread(id, fast ? 3_000 : 60_000);
  const inFlight = isAnswerInFlight(thread.data?.items ?? []);
  useEffect(() => setFast(inFlight), [inFlight]);
  const { refetch } = thread;
  const seen = useRef(lastAt);
  useEffect(() => {
    if (lastAt === undefined || seen.current === lastAt) return;
    seen.current = lastAt;
    void refetch();
  }, [lastAt, refetch]);
  const markRead = useMarkConversationRead();
  const unread = thread.data?.conversation.unread ?? 0;
  const { mutate } = markRead;
  useEffect(() => {
    // Opening a conversation reads it.
    if (unread > 0) mutate(id);
  }, [id, unread, mutate]);

  if (thread.isPending) return <Loading what={tr("inbox.conversation.what")} />;
  if (thread.isError) return <ErrorState error={thread.error} what={tr("inbox.conversation.what")} onRetry={() => thread.refetch()} />;
  const c = thread.data.conversation;
  return (
    <div className="rounded-lg border border-slate-200 bg-white">
      <div className="flex items-center gap-2 border-b border-slate-200 px-3 py-2">
        <Link to={back} className="rounded-md px-2 py-1 text-sm text-brand-700 hover:bg-slate-100 md:hidden">
          ← {tr("nav.inbox")}
        </Link>
        <div className="min-w-0 flex-1">
          <h2 className="truncate font-semibold">{c.name || displayPhone(c.phone)}</h2>
          <p className="truncate text-xs text-slate-600">
            {[c.name && displayPhone(c.phone), number.get(c.session_id) && tr("inbox.onNumber", { number: number.get(c.session_id)! })].filter(Boolean).join(" · ")}
          </p>
        </div>
        {c.opted_out && <Badge tone="warn">{tr("inbox.optedOut")}</Badge>}
      </div>
      <ol className="flex flex-col gap-2 p-3" aria-label={tr("inbox.messages")}>
        {thread.data.items.map((m, index) => (
          <li key={`${m.at}-${m.direction}-${index}`} className={cx("max-w-[85%] rounded-lg px-3 py-2 text-sm", m.direction === "in" ? "self-start bg-slate-100" : "self-end bg-brand-50")}>
            {(m.kind || m.has_image) && <MediaLabel kind={m.kind ?? "image"} />}
            {(m.text || !(m.kind || m.has_image)) && (
              <p className="whitespace-pre-wrap break-words">{m.text ?? <span className="italic">{tr("inbox.notKept")}</span>}</p>
            )}
            <p className="mt-1 text-xs text-slate-600">
              {formatDayTime(m.at)}
              {m.direction === "out" && m.campaign_id && (
                <>
                  {" · "}
                  <Link className="underline" to={`/campaigns/${m.campaign_id}`}>
                    {m.campaign_name ?? tr("inbox.campaign")}
                  </Link>
                </>
              )}
              {m.direction === "out" && m.status && <StatusTicks status={m.status} reason={m.reason ?? null} />}
              {m.direction === "in" && m.campaign_name && ` · ${tr("inbox.replyTo", { name: m.campaign_name })}`}
            </p>
          </li>
        ))}
      </ol>
      <ReplyBox conversationId={id} optedOut={c.opted_out} />
    </div>
  );
}
