import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchWithEtag, forgetEtags } from "../../api/inboxApi";
import { tokenStore } from "../../api/token";
import { AppShell } from "../../components/AppShell";
import { mockApi, page, session, user } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { InboxPage } from "./Inbox";
import { InboxRetentionCard } from "./InboxSettings";

afterEach(() => {
  vi.unstubAllGlobals();
  forgetEtags();
});

const now = Date.now();

function conversation(overrides: Record<string, unknown> = {}) {
  return {
    conversation_id: "cv_1",
    session_id: "ses_1",
    phone: "+14155550001",
    name: "Maria Silva",
    last_at: now - 60_000,
    last_text: "Quero 2, por favor!",
    unread: 2,
    campaign_id: "cmp_1",
    opted_out: false,
    read_at: null,
    ...overrides,
  };
}

const thread = (unread: number) => ({
  conversation: conversation({ unread }),
  items: [
    { direction: "out", at: now - 3_600_000, text: "Hi Maria! Black Friday starts now.", campaign_id: "cmp_1", campaign_name: "Black Friday", status: "read" },
    { direction: "in", at: now - 60_000, text: "Quero 2, por favor!", campaign_id: "cmp_1", campaign_name: "Black Friday", status: null },
  ],
});

describe("Inbox", () => {
  it("lists replies, opens one with the campaign message before it, and marks it read", async () => {
    tokenStore.set("wct_x");
    let unread = 2;
    const { calls } = mockApi({
      "GET /api/sessions": { body: page([session({ status: "connected", label: "Front desk" })]) },
      "GET /api/conversations": () => ({
        body: { ...page([conversation({ unread }), conversation({ conversation_id: "cv_2", name: null, phone: "+14155550002", last_text: "Who is this?", unread: 0, campaign_id: null })]), unread_conversations: unread ? 1 : 0 },
        headers: { ETag: `W/"${unread}"` },
      }),
      "GET /api/conversations/cv_1/messages": () => ({ body: thread(unread) }),
      "POST /api/conversations/cv_1/read": () => {
        unread = 0;
        return { body: conversation({ unread: 0 }) };
      },
    });
    renderWithApp(<InboxPage />, { path: "/inbox", route: "/inbox/:conversationId?" });
    const list = await screen.findByRole("region", { name: "Conversations" });
    const maria = await within(list).findByRole("link", { name: /Maria Silva/ });
    expect(within(maria).getByText("Quero 2, por favor!")).toBeInTheDocument();
    expect(within(maria).getByLabelText("2 unread")).toBeInTheDocument();
    expect(within(list).getByRole("link", { name: /\+14155550002/ })).toBeInTheDocument();
    expect(screen.getByText("Choose a conversation to read it.")).toBeInTheDocument();

    await userEvent.click(maria);
    const open = await screen.findByRole("list", { name: "Messages" });
    expect(within(open).getByText("Hi Maria! Black Friday starts now.")).toBeInTheDocument();
    expect(within(open).getByRole("link", { name: "Black Friday" })).toHaveAttribute("href", "/campaigns/cmp_1");
    expect(within(open).getByText(/Read$/).closest("[data-status]")).toHaveAttribute("data-status", "read");
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/conversations/cv_1/read")).toBe(true));
    await waitFor(() => expect(within(list).queryByLabelText("2 unread")).toBeNull());
    expect(calls.filter((c) => c.method === "POST").length).toBe(1);
  });

  it("reads the open conversation again when the list shows a new reply in it", async () => {
    tokenStore.set("wct_x");
    let latest = now - 60_000;
    const replies = [{ direction: "in", at: now - 60_000, text: "Quero 2, por favor!", campaign_id: null, campaign_name: null, status: null }];
    mockApi({
      "GET /api/sessions": { body: page([session({ status: "connected" })]) },
      "GET /api/conversations": () => ({ body: { ...page([conversation({ last_at: latest, unread: 0 })]), unread_conversations: 0 } }),
      "GET /api/conversations/cv_1/messages": () => ({ body: { conversation: conversation({ last_at: latest, unread: 0 }), items: [...replies] } }),
    });
    const { client } = renderWithApp(<InboxPage />, { path: "/inbox/cv_1", route: "/inbox/:conversationId?" });
    const open = await screen.findByRole("list", { name: "Messages" });
    await within(open).findByText("Quero 2, por favor!");
    latest = now;
    replies.push({ direction: "in", at: now, text: "E entregam?", campaign_id: null, campaign_name: null, status: null });
    await client.refetchQueries({ queryKey: ["inbox", "list"] });
    expect(await within(open).findByText("E entregam?")).toBeInTheDocument();
  });

  it("searches and filters through the address, so a link can share them", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/sessions": { body: page([session({ status: "connected" })]) },
      "GET /api/conversations": (_r, url) => ({ body: { ...page(url.searchParams.get("q") ? [] : [conversation()]), unread_conversations: 1 } }),
    });
    renderWithApp(<InboxPage />, { path: "/inbox?campaign=cmp_1", route: "/inbox/:conversationId?" });
    await screen.findByRole("link", { name: /Maria Silva/ });
    expect(calls.find((c) => c.path === "/api/conversations")!.url.searchParams.get("campaign_id")).toBe("cmp_1");
    await userEvent.type(screen.getByLabelText("Search"), "nobody");
    expect(await screen.findByText("No conversation matches")).toBeInTheDocument();
    expect(calls.at(-1)!.url.searchParams.get("q")).toBe("nobody");
    await userEvent.click(screen.getByLabelText(/Unread only/));
    await waitFor(() => expect(calls.at(-1)!.url.searchParams.get("unread")).toBe("true"));
  });

  it("sends the last ETag back and keeps the answer on 304", async () => {
    tokenStore.set("wct_x");
    const sent: (string | null)[] = [];
    const answers = [
      new Response(JSON.stringify({ unread_conversations: 3, version: 7 }), { status: 200, headers: { ETag: 'W/"7-a"', "Content-Type": "application/json" } }),
      new Response(null, { status: 304, headers: { ETag: 'W/"7-a"' } }),
    ];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        sent.push(request.headers.get("If-None-Match"));
        return answers.shift()!;
      }),
    );
    expect(await fetchWithEtag("/api/conversations/summary")).toEqual({ unread_conversations: 3, version: 7 });
    expect(await fetchWithEtag("/api/conversations/summary")).toEqual({ unread_conversations: 3, version: 7 });
    expect(sent).toEqual([null, 'W/"7-a"']);
  });

  it("shows the unread count on Inbox in the navigation", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/me": { body: user },
      "GET /api/notifications": { body: page([]) },
      "GET /api/conversations/summary": { body: { unread_conversations: 4, version: 9 }, headers: { ETag: 'W/"9-a"' } },
    });
    renderWithApp(<AppShell />, { path: "/dashboard" });
    // In the navigation, and beside the menu button on a phone (where the menu is folded).
    const links = await screen.findAllByRole("link", { name: /^Inbox.*4 unread$/ });
    expect(links).toHaveLength(2);
    for (const link of links) expect(link).toHaveAttribute("href", "/inbox");
  });
});

describe("Inbox settings", () => {
  it("shows and saves how long reply texts are kept", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/conversations/settings": { body: { retention_days: 180 } },
      "PUT /api/conversations/settings": (_r, _u, body) => ({ body }),
    });
    renderWithApp(<InboxRetentionCard />);
    const field = await screen.findByLabelText("Keep reply texts for (days)");
    expect(field).toHaveValue(180);
    await userEvent.clear(field);
    await userEvent.type(field, "30");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ retention_days: 30 }));
    expect(await screen.findByText("Saved. New replies are kept this long.")).toBeInTheDocument();
  });
});
