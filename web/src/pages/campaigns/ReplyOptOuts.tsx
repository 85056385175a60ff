import { Link } from "react-router";
import { useConversations } from "../../api/inboxApi";
import type { Campaign } from "../../api/types";
import { Card } from "../../components/ui";
import { tr } from "../../i18n";
import { formatCount, formatDayTime } from "../../lib/format";
import { displayPhone } from "../contacts/Contacts";

/** Who opted out by replying to this campaign, with the reply: the user sees what the
 * message provoked, and can open the conversation. Hidden when nobody did. */
export function ReplyOptOuts({ campaign }: { campaign: Campaign }) {
  const list = useConversations({ campaign_id: campaign.campaign_id, opted_out: true, limit: 50 }, 60_000);
  const items = list.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <Card title={tr("campaign.replyOptOuts.title", { count: formatCount(items.length) })}>
      <p className="mb-2 text-sm text-slate-600">{tr("campaign.replyOptOuts.hint")}</p>
      <ul className="divide-y divide-slate-100" data-testid="reply-optouts">
        {items.map((c) => (
          <li key={c.conversation_id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2 text-sm">
            <Link className="font-medium text-brand-700 underline" to={`/inbox/${c.conversation_id}`}>
              {c.name || displayPhone(c.phone)}
            </Link>
            <span className="min-w-0 flex-1 truncate text-slate-700">{c.last_text ? `“${c.last_text}”` : tr("campaign.replyOptOuts.noText")}</span>
            <time className="text-xs text-slate-600" dateTime={new Date(c.last_at).toISOString()}>
              {formatDayTime(c.last_at)}
            </time>
          </li>
        ))}
      </ul>
      {list.data?.next_cursor && (
        <Link className="mt-2 inline-block text-sm text-brand-700 underline" to={`/inbox?campaign=${encodeURIComponent(campaign.campaign_id)}`}>
          {tr("campaign.replyOptOuts.more")}
        </Link>
      )}
    </Card>
  );
}
