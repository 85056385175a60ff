/**
 * Every TanStack Query key of the app, in one place. Keys are hierarchical: each
 * area's `all` is the prefix of all its keys, so `invalidateQueries({ queryKey:
 * keys.campaigns.all })` refreshes every campaign query, and a narrower prefix
 * (`keys.campaigns.lists`) only those below it. Hooks in `web/src/api/` use these;
 * nothing else writes a key by hand (src/api/dataAccess.test.ts checks).
 */
import type { ContactFilter } from "./contactsApi";
import type { InboxFilters } from "./inboxApi";

const sessionsAll = ["sessions"] as const;
const campaignsAll = ["campaigns"] as const;
const contactsAll = ["contacts"] as const;
const inboxAll = ["inbox"] as const;
const billingAll = ["billing"] as const;
const notificationsAll = ["notifications"] as const;
const quickRepliesAll = ["quick-replies"] as const;

export const keys = {
  me: ["me"] as const,
  tokens: ["tokens"] as const,
  agents: ["admin", "agents"] as const,

  sessions: {
    all: sessionsAll,
    // The list's key is the prefix itself: `exact: true` refreshes the list alone.
    list: sessionsAll,
    detail: (id: string) => [...sessionsAll, id] as const,
    qr: (id: string) => [...sessionsAll, id, "qr"] as const,
    health: [...sessionsAll, "health"] as const,
  },

  notifications: {
    all: notificationsAll,
    list: (unread: boolean) => [...notificationsAll, { unread }] as const,
  },
  /** Which campaign events also send an email. */
  notificationSettings: ["notification-settings"] as const,

  campaigns: {
    all: campaignsAll,
    lists: [...campaignsAll, "list"] as const,
    list: (status: string) => [...campaignsAll, "list", status] as const,
    /** The composer's forecast for values not saved yet. */
    composerForecast: (body: unknown) => [...campaignsAll, "forecast", body] as const,
    detail: (id: string | null) => [...campaignsAll, id] as const,
    audience: (id: string | null, version: unknown) => [...campaignsAll, id, "audience", version] as const,
    messages: (id: string, status: string) => [...campaignsAll, id, "messages", status] as const,
    followUp: (id: string) => [...campaignsAll, id, "follow-up"] as const,
    forecast: (id: string) => [...campaignsAll, id, "forecast"] as const,
    launchSummary: (id: string | null) => [...campaignsAll, id, "launch-summary"] as const,
  },

  contacts: {
    all: contactsAll,
    list: (filter: ContactFilter) => [...contactsAll, "list", filter] as const,
    tags: [...contactsAll, "tags"] as const,
    imports: [...contactsAll, "imports"] as const,
    import: (id: string | null) => [...contactsAll, "imports", id] as const,
    optOutWords: [...contactsAll, "opt-out-words"] as const,
    optOutReviews: [...contactsAll, "opt-out-reviews"] as const,
    optOutCheck: (text: string) => [...contactsAll, "opt-out-check", text] as const,
    /** Contacts of a campaign audience, for the composer's preview picker. */
    audience: (all: boolean, tags: string[], search: string) => [...contactsAll, "audience", all, tags, search] as const,
  },

  inbox: {
    all: inboxAll,
    summary: [...inboxAll, "summary"] as const,
    list: (filters: InboxFilters) => [...inboxAll, "list", filters] as const,
    thread: (id: string) => [...inboxAll, "thread", id] as const,
    settings: [...inboxAll, "settings"] as const,
    typingNumbers: [...inboxAll, "typing-numbers"] as const,
  },

  quickReplies: {
    all: quickRepliesAll,
    forConversation: (id: string | undefined) => [...quickRepliesAll, id ?? ""] as const,
  },

  billing: {
    all: billingAll,
    // The account's billing state is the prefix itself.
    state: billingAll,
    plans: [...billingAll, "plans"] as const,
  },
};
