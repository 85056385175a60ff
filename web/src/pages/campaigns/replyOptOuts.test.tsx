import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../../api/token";
import { mockApi, page, user } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { ReplyOptOuts } from "./ReplyOptOuts";

afterEach(() => vi.unstubAllGlobals());

const campaign = { campaign_id: "cmp_1", name: "Black Friday" } as never;
const conversation = {
  conversation_id: "cnv_1",
  session_id: "ses_1",
  phone: "+5511912345678",
  name: "Ana Souza",
  last_text: "SAIR",
  last_kind: null,
  last_at: Date.UTC(2026, 10, 28, 12),
  unread: 0,
  campaign_id: "cmp_1",
  opted_out: true,
};

describe("opt-outs caused by a campaign's replies", () => {
  it("lists who opted out by replying to this campaign, with the reply and a link to the conversation", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/me": { body: user },
      "GET /api/conversations": { body: { ...page([conversation]), unread_conversations: 0 } },
    });
    renderWithApp(<ReplyOptOuts campaign={campaign} />);
    const list = await screen.findByTestId("reply-optouts");
    expect(within(list).getByRole("link", { name: "Ana Souza" })).toHaveAttribute("href", "/inbox/cnv_1");
    expect(list).toHaveTextContent("“SAIR”");
    expect(screen.getByText("Opted out by replying (1)")).toBeInTheDocument();
    const asked = calls.find((c) => c.path === "/api/conversations")!.url.searchParams;
    expect(asked.get("campaign_id")).toBe("cmp_1");
    expect(asked.get("opted_out")).toBe("true");
  });

  it("shows nothing when nobody opted out", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      "GET /api/me": { body: user },
      "GET /api/conversations": { body: { ...page([]), unread_conversations: 0 } },
    });
    const { container } = renderWithApp(<ReplyOptOuts campaign={campaign} />);
    await vi.waitFor(() => expect(calls.some((c) => c.path === "/api/conversations")).toBe(true));
    expect(container.querySelector("[data-testid=reply-optouts]")).toBeNull();
  });
});
