import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetEtags } from "../../api/inboxApi";
import { tokenStore } from "../../api/token";
import { mockApi, page, session } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { InboxPage } from "./Inbox";
import { InboxPreferences } from "./InboxPreferences";
import { ReplyNotifier } from "./ReplyNotifier";

afterEach(() => {
  vi.unstubAllGlobals();
  forgetEtags();
});

const now = Date.now();
const conversation = (overrides: Record<string, unknown> = {}) => ({
  conversation_id: "cv_1",
  session_id: "ses_1",
  phone: "+14155550001",
  name: "Maria Silva",
  last_at: now - 60_000,
  last_text: "Quanto custa?",
  unread: 0,
  campaign_id: null,
  opted_out: false,
  read_at: null,
  ...overrides,
});

describe("Answering from the inbox", () => {
  it("sends with Enter, once per answer, and shows its ticks and a failure's reason in words", async () => {
    tokenStore.set("wct_x");
    const items: Record<string, unknown>[] = [
      { direction: "in", at: now - 60_000, text: "Quanto custa?", campaign_id: null, campaign_name: null, status: null, kind: null },
      { direction: "in", at: now - 50_000, text: "", campaign_id: null, campaign_name: null, status: null, kind: "ptt" },
    ];
    const { calls } = mockApi({
      "GET /api/sessions": { body: page([session({ status: "connected" })]) },
      "GET /api/conversations": { body: { ...page([conversation()]), unread_conversations: 0 } },
      "GET /api/conversations/cv_1/messages": () => ({ body: { conversation: conversation(), items: [...items] } }),
      "POST /api/conversations/cv_1/messages": (_r, _u, body) => {
        const answer = body as { text: string; client_id: string };
        items.push({ direction: "out", at: now, text: answer.text, campaign_id: null, campaign_name: null, status: "delivered", reply_id: "reply-1", reason: null });
        items.push({ direction: "out", at: now + 1, text: "Older one", campaign_id: null, campaign_name: null, status: "failed", reply_id: "reply-0", reason: "chat_not_found" });
        return { status: 202, body: { reply_id: "reply-1", status: "queued", reason: null, at: now, text: answer.text, has_image: false } };
      },
    });
    renderWithApp(<InboxPage />, { path: "/inbox/cv_1", route: "/inbox/:conversationId?" });
    const open = await screen.findByRole("list", { name: "Messages" });
    expect(within(open).getByText("🎤 Audio")).toBeInTheDocument();
    const box = screen.getByLabelText("Your answer");
    await userEvent.type(box, "R$ 10{Enter}");
    await waitFor(() => expect(calls.filter((c) => c.method === "POST")).toHaveLength(1));
    const posted = calls.find((c) => c.method === "POST")!.body as { text: string; client_id: string };
    expect(posted.text).toBe("R$ 10");
    expect(posted.client_id).toMatch(/^[0-9a-f]{24}$/);
    await waitFor(() => expect(box).toHaveValue(""));
    const delivered = await within(open).findByText(/Delivered$/);
    expect(delivered.closest("[data-status]")).toHaveAttribute("data-status", "delivered");
    expect(within(open).getByText(/Not sent: WhatsApp could not find this chat/)).toBeInTheDocument();
  });

  it("fills a quick reply for the contact, picked by typing /", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/sessions": { body: page([session({ status: "connected" })]) },
      "GET /api/conversations": { body: { ...page([conversation()]), unread_conversations: 0 } },
      "GET /api/conversations/cv_1/messages": { body: { conversation: conversation(), items: [] } },
      "GET /api/quick-replies": {
        body: {
          items: [
            { quick_reply_id: "qr_1", name: "Price", text: "Hi {{first_name}}, it is R$ 10.", filled: "Hi Maria, it is R$ 10." },
            { quick_reply_id: "qr_2", name: "Hours", text: "We open at 9.", filled: "We open at 9." },
          ],
        },
      },
    });
    renderWithApp(<InboxPage />, { path: "/inbox/cv_1", route: "/inbox/:conversationId?" });
    const box = await screen.findByLabelText("Your answer");
    await userEvent.type(box, "/pri");
    const picker = await screen.findByRole("region", { name: "Quick replies" });
    await waitFor(() => expect(within(picker).queryByText("Hours")).toBeNull());
    await userEvent.click(within(picker).getByRole("button", { name: /Price/ }));
    expect(box).toHaveValue("Hi Maria, it is R$ 10.");
    expect(calls.find((c) => c.path === "/api/quick-replies")!.url.searchParams.get("conversation_id")).toBe("cv_1");
  });

  it("does not offer to answer someone who opted out", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/sessions": { body: page([session({ status: "connected" })]) },
      "GET /api/conversations": { body: { ...page([conversation({ opted_out: true })]), unread_conversations: 0 } },
      "GET /api/conversations/cv_1/messages": { body: { conversation: conversation({ opted_out: true }), items: [] } },
    });
    renderWithApp(<InboxPage />, { path: "/inbox/cv_1", route: "/inbox/:conversationId?" });
    expect(await screen.findByText(/opted out, so wacast will not send them anything/)).toBeInTheDocument();
    expect(screen.queryByLabelText("Your answer")).toBeNull();
  });
});

describe("Reply notifications and inbox preferences", () => {
  it("notifies once per conversation that turns unread, not per message", async () => {
    tokenStore.set("wct_x");
    const shown: { title: string; tag?: string; body?: string }[] = [];
    class FakeNotification {
      static permission = "granted";
      onclick: (() => void) | null = null;
      constructor(title: string, options: { tag?: string; body?: string }) {
        shown.push({ title, ...options });
      }
    }
    vi.stubGlobal("Notification", FakeNotification);
    let version = 1;
    let unread = [conversation({ conversation_id: "cv_old", unread: 1 })];
    mockApi({
      "GET /api/conversations/summary": () => ({ body: { unread_conversations: unread.length, version }, headers: { ETag: `W/"${version}"` } }),
      "GET /api/conversations": () => ({ body: { ...page(unread), unread_conversations: unread.length }, headers: { ETag: `W/"l${version}"` } }),
    });
    const { client } = renderWithApp(<ReplyNotifier />);
    // What was unread before the page opened is not announced.
    await waitFor(() => expect(client.getQueryData(["inbox", "summary"])).toBeTruthy());
    await new Promise((r) => setTimeout(r, 50));
    expect(shown).toEqual([]);
    version = 2;
    unread = [conversation({ conversation_id: "cv_new", name: "Bea", unread: 1, last_text: "", last_kind: "image" }), ...unread];
    await client.refetchQueries({ queryKey: ["inbox", "summary"] });
    await waitFor(() => expect(shown).toHaveLength(1));
    expect(shown[0]).toEqual({ title: "New reply from Bea", tag: "cv_new", body: "📷 Photo" });
    version = 3; // a second message in the same conversation: no second notice
    unread = [conversation({ conversation_id: "cv_new", name: "Bea", unread: 2 }), unread[1]!];
    await client.refetchQueries({ queryKey: ["inbox", "summary"] });
    await new Promise((r) => setTimeout(r, 50));
    expect(shown).toHaveLength(1);
  });

  it("turns the digest and the typing indicator on", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/conversations/settings": { body: { retention_days: 180, digest: "off" } },
      "PUT /api/conversations/settings": (_r, _u, body) => ({ body }),
      "GET /api/conversations/numbers": { body: { items: [{ session_id: "ses_1", label: "Front desk", show_typing: false }] } },
      "PUT /api/conversations/numbers/ses_1/typing": (_r, _u, body) => ({ body: { session_id: "ses_1", label: "Front desk", ...(body as object) } }),
    });
    renderWithApp(<InboxPreferences />);
    await userEvent.click(await screen.findByLabelText(/unread conversations once a day/));
    await waitFor(() => expect(calls.find((c) => c.method === "PUT" && c.path === "/api/conversations/settings")?.body).toEqual({ retention_days: 180, digest: "daily" }));
    await userEvent.click(await screen.findByLabelText("Front desk"));
    await waitFor(() => expect(calls.find((c) => c.path === "/api/conversations/numbers/ses_1/typing")?.body).toEqual({ show_typing: true }));
  });
});
