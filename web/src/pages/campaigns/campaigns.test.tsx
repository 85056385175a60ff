import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../../api/token";
import { formatUntil } from "../../lib/format";
import { contact, mockApi, page, session, user } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { CampaignDetailPage } from "./CampaignDetail";
import { CampaignEditorPage, localInput, pacingWarnings } from "./CampaignEditor";
import { CampaignsPage } from "./Campaigns";

afterEach(() => vi.unstubAllGlobals());

function campaign(overrides: Record<string, unknown> = {}) {
  return {
    campaign_id: "cmp_1",
    name: "Black Friday",
    status: "draft",
    template: "{Hi|Hello} {{first_name|there}}",
    audience: { all: false, tags: ["vip"] },
    on_missing_variable: "block",
    session_ids: ["ses_1"],
    send_at: null,
    timezone: "Europe/Lisbon",
    pacing: { min_gap_s: 20, max_gap_s: 60, daily_cap: 200, warmup: true, quiet_start: null, quiet_end: null },
    counters: { total: 10, pending: 4, leased: 0, sent: 6, delivered: 4, read: 2, failed: 1, skipped: 0, unknown: 0, cancelled: 0, replies: 1 },
    funnel: { sent: 6, delivered: 4, read: 2, replied: 1 },
    progress: 0.6,
    eta_s: 240,
    pause_reason: null,
    has_media: false,
    created_at: 1_700_000_000_000,
    launched_at: null,
    completed_at: null,
    ...overrides,
  };
}

const editorRoutes = {
  "GET /api/me": { body: { ...user, timezone: "Europe/Lisbon" } },
  "GET /api/campaigns/cmp_1": { body: campaign() },
  "GET /api/campaigns/cmp_1/audience": { body: { recipients: 2, opted_out: 1, missing_variables: 1, affected: [{ phone: "+447700900999", name: "No Name", missing: ["city"] }] } },
  "POST /api/campaigns/cmp_1/preview": { body: { text: "Hello *Maria*", missing: [], length: 13, truncated: false } },
  "GET /api/contacts": { body: page([contact()]) },
  "GET /api/contacts/tags": { body: { items: [{ tag: "vip", count: 3 }] } },
  "GET /api/sessions": { body: page([session({ status: "connected", phone: "447700900001" })]) },
  "PATCH /api/campaigns/cmp_1": { body: campaign() },
  "GET /api/campaigns/cmp_1/launch-summary": { body: summary() },
  "GET /api/billing/plans": {
    body: {
      items: [
        { id: "free", name: "Free", numbers: 1, messages_per_month: 100, price_monthly_cents: 0, purchasable: false },
        { id: "starter", name: "Starter", numbers: 2, messages_per_month: 5000, price_monthly_cents: 1900, purchasable: true },
        { id: "pro", name: "Pro", numbers: 10, messages_per_month: 50000, price_monthly_cents: 9900, purchasable: true },
      ],
    },
  },
};

function summary(overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    audience: { selected: 3, opted_out: 1, missing_variables: 0, recipients: 2, exact: true },
    numbers: [{ session_id: "ses_1", label: "Front desk", status: "connected", connected: true }],
    first_message_at: now + 60_000,
    finish_at: now + 13 * 86_400_000,
    forecast: { recipients: 2, timezone: "Europe/Lisbon", first_message_at: now, finish_at: now + 13 * 86_400_000, duration_s: 0, beyond_horizon: false, days: [], pauses: [], numbers: [], deadline: null },
    quota: { needed: 2, remaining: 100, short_by: 0, unlimited: false },
    can_launch: true,
    problems: [],
    send_to_first_max: null,
    ...overrides,
  };
}

/** A forecast that takes 2,000 / daily cap days, late for a deadline unless the cap is 400 or more. */
function forecastFor(body: { pacing: { daily_cap: number }; deadline?: string | null }) {
  const cap = body.pacing.daily_cap;
  const days = Math.ceil(2000 / cap);
  const start = Date.now();
  const finish = start + days * 86_400_000;
  return {
    forecast: {
      recipients: 2000,
      timezone: "Europe/Lisbon",
      first_message_at: start,
      finish_at: finish,
      duration_s: days * 86_400,
      beyond_horizon: false,
      days: Array.from({ length: days }, (_, i) => ({ date: new Date(start + i * 86_400_000).toISOString().slice(0, 10), total: cap, numbers: [{ session_id: "ses_1", count: cap, limit: "daily_cap" }] })),
      pauses: [],
      numbers: [],
      deadline: body.deadline
        ? { deadline: start + 6 * 86_400_000, met: cap >= 400, late_by_s: cap >= 400 ? 0 : (days - 6) * 86_400, suggestions: cap >= 400 ? [] : [{ kind: "raise_daily_cap", message: "Send up to 400 a day per number.", change: { daily_cap: 400 }, finish_at: start + 5 * 86_400_000, meets_deadline: true, risk: "More than 250 a day raises the risk of a ban." }] }
        : null,
    },
    audience: { selected: 2010, opted_out: 10, missing_variables: 0, recipients: 2000, exact: true },
  };
}

describe("CampaignEditorPage", () => {
  it("forecasts live as the pace changes, warns about a deadline and applies a suggestion", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      ...editorRoutes,
      "POST /api/campaigns/forecast": (_request, _url, body) => ({ body: forecastFor(body as Parameters<typeof forecastFor>[0]) }),
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    await waitFor(() => expect(screen.getByTestId("forecast-words")).toHaveTextContent(/^About 10 days:/));
    expect(screen.getByTestId("forecast-audience")).toHaveTextContent("2,000 recipients (10 opted out)");
    expect(screen.getByRole("list", { name: "Messages per day" }).children).toHaveLength(10);
    const cap = screen.getByLabelText("Most messages a day");
    await userEvent.clear(cap);
    await userEvent.type(cap, "250");
    await waitFor(() => expect(screen.getByTestId("forecast-words")).toHaveTextContent(/^About 8 days:/));
    await userEvent.type(screen.getByLabelText(/Must be done by/), "2030-01-01T10:00");
    expect(await screen.findByText(/This misses the deadline/)).toBeInTheDocument();
    expect(screen.getByText(/Risk: More than 250 a day/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Use this" }));
    expect(cap).toHaveValue(400);
    await waitFor(() => expect(screen.getByText(/Done before the deadline/)).toBeInTheDocument());
    const last = calls.filter((c) => c.path === "/api/campaigns/forecast").at(-1)!.body as { audience: unknown; session_ids: string[] };
    expect(last).toMatchObject({ audience: { all: false, tags: ["vip"] }, session_ids: ["ses_1"] });
  });

  it("offers variables, counts characters, flags unknown ones, previews with formatting for an audience contact, and shows why a launch is refused", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      ...editorRoutes,
      "POST /api/campaigns/cmp_1/schedule": {
        status: 422,
        body: { error: { code: "missing_variables", message: "1 recipient(s) have no value for a variable without a fallback.", details: { affected: [{ phone: "+447700900999", name: "No Name", missing: ["city"] }], count: 1 } } },
      },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    const message = await screen.findByLabelText("Message");
    expect(screen.getByText("31 / 4,096 characters")).toBeInTheDocument();
    await userEvent.click(await screen.findByRole("button", { name: "+ city" }));
    expect((message as HTMLTextAreaElement).value).toContain("{{city}}");
    // A variable without a fallback: the choice to skip contacts missing it is on screen.
    expect(screen.getByRole("radio", { name: "Skip contacts missing it" })).not.toBeChecked();
    await userEvent.type(message, " {{{{citty}}");
    expect(await screen.findByTestId("unknown-variable")).toHaveTextContent("No contact field is called “citty”");
    await waitFor(() => expect(screen.getByTestId("message-preview")).toHaveTextContent("Hello Maria"));
    expect(screen.getByTestId("message-preview").querySelector("strong")).toHaveTextContent("Maria");
    // The picker searches the campaign's audience (its tag), never opted-out contacts.
    await waitFor(() => expect(calls.some((c) => c.path === "/api/contacts" && c.url.searchParams.get("tag") === "vip" && c.url.searchParams.get("opted_out") === "false")).toBe(true));
    expect(await screen.findByTestId("recipient-count")).toHaveTextContent("2 recipients");
    expect(screen.getByRole("list", { name: "Contacts missing a variable" })).toHaveTextContent("No Name (+447700900999): no city");

    await userEvent.clear(screen.getByLabelText("Shortest gap (seconds)"));
    await userEvent.type(screen.getByLabelText("Shortest gap (seconds)"), "5");
    expect(screen.getByText(/Gaps under 10 seconds/)).toBeInTheDocument();

    // The draft saves itself (the whole form) and the count is asked again.
    const audienceCalls = () => calls.filter((c) => c.path === "/api/campaigns/cmp_1/audience").length;
    const before = audienceCalls();
    await userEvent.click(screen.getByRole("radio", { name: /All contacts/ }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH" && JSON.stringify(c.body).includes('"all":true'))).toBe(true), { timeout: 3000 });
    await waitFor(() => expect(audienceCalls()).toBeGreaterThan(before));
    await userEvent.click(screen.getByRole("radio", { name: /Contacts with any of these tags/ }));

    await userEvent.click(screen.getByRole("button", { name: "Launch now" }));
    const dialog = await screen.findByRole("dialog", { name: "Send this campaign?" });
    await userEvent.click(await within(dialog).findByRole("button", { name: "Send to 2" }));
    expect(await within(dialog).findByText(/have no value for a variable/)).toBeInTheDocument();
    const patch = calls.filter((c) => c.method === "PATCH").at(-1)!.body as { pacing: { min_gap_s: number }; audience: unknown; session_ids: string[] };
    expect(patch.pacing.min_gap_s).toBe(5);
    expect(patch.audience).toEqual({ all: false, tags: ["vip"] });
    expect(patch.session_ids).toEqual(["ses_1"]);
  });

  it("confirms a launch with a summary; on a short quota it offers an upgrade that returns here, or sending to the first N", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      ...editorRoutes,
      "GET /api/campaigns/cmp_1/launch-summary": {
        body: summary({
          audience: { selected: 1960, opted_out: 4, missing_variables: 0, recipients: 1956, exact: true },
          quota: { needed: 1956, remaining: 100, short_by: 1856, unlimited: false },
          can_launch: false,
          problems: [{ code: "quota_short", message: "This needs 1,956 messages; 100 are left this month." }],
          send_to_first_max: 100,
          // Tue 15 Dec 2026, 14:30 in Lisbon (UTC in winter).
          send_to_first_finish_at: Date.UTC(2026, 11, 15, 14, 30),
        }),
      },
      "POST /api/billing/checkout": { body: { url: "about:blank#checkout" } },
      "POST /api/campaigns/cmp_1/schedule": { status: 202, body: campaign({ status: "preparing", send_limit: 100 }) },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    await userEvent.click(await screen.findByRole("button", { name: "Launch now" }));
    const dialog = await screen.findByRole("dialog", { name: "Send this campaign?" });
    const facts = await within(dialog).findByTestId("launch-facts");
    expect(facts).toHaveTextContent("1,956 (not counting 4 opted out)");
    expect(facts).toHaveTextContent("Front desk");
    expect(facts).toHaveTextContent("1,956 needed, 100 left this month");
    expect(facts).toHaveTextContent(/about 13 days/);
    expect(within(dialog).queryByRole("button", { name: /^Send to [\d,]+$/ })).not.toBeInTheDocument();
    await userEvent.click(await within(dialog).findByRole("button", { name: "Upgrade to Starter (5,000 a month)" }));
    await waitFor(() => expect(calls.find((c) => c.path === "/api/billing/checkout")?.body).toEqual({ plan: "starter", return_to: "/campaigns/cmp_1/edit" }));
    expect(dialog).toHaveTextContent(/The first 100 would be done by Tue, Dec 15, 2:30 PM\./);
    await userEvent.click(within(dialog).getByRole("button", { name: "Send to the first 100 now" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/campaigns/cmp_1"));
    expect(calls.find((c) => c.path === "/api/campaigns/cmp_1/schedule")!.body).toEqual({ send_to_first: 100 });
  });

  it("refuses to launch a message over 4,096 characters, saying so, and sends nothing", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({ ...editorRoutes, "GET /api/campaigns/cmp_1": { body: campaign({ template: "x".repeat(4100) }) } });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    expect(await screen.findByText("4,100 / 4,096 characters")).toBeInTheDocument();
    expect(screen.getByText(/Remove 4 to launch/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Launch now" }));
    expect(await screen.findByText(/The message has 4,100 characters; WhatsApp allows 4,096/)).toBeInTheDocument();
    expect(calls.some((c) => c.path.endsWith("/schedule"))).toBe(false);
  });

  it("saves a new campaign by itself once it has a message, so the image and a test send work before any save", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({
      ...editorRoutes,
      "POST /api/campaigns": { status: 201, body: campaign({ campaign_id: "cmp_9", template: "Hi *there*", audience: { all: true, tags: [] } }) },
      "PATCH /api/campaigns/cmp_9": { body: campaign({ campaign_id: "cmp_9" }) },
      "GET /api/campaigns/cmp_9/audience": { body: { recipients: 3, opted_out: 0, missing_variables: 0, affected: [] } },
      "POST /api/campaigns/cmp_9/preview": { body: { text: "Hi Maria", missing: [], length: 8, truncated: false } },
      "POST /api/campaigns/cmp_9/test": { status: 202, body: { message: "The test message is on its way. 19 of 20 tests left for today.", tests_left: 19, tests_per_day: 20 } },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/new", route: "/campaigns/new" });
    const name = (await screen.findByLabelText(/Campaign name/)) as HTMLInputElement;
    expect(name.value).toMatch(/^Campaign of /);
    // The phone-style preview works before anything is saved, formatting included.
    await userEvent.type(screen.getByLabelText("Message"), "Hi *there*");
    expect(screen.getByTestId("message-preview").querySelector("strong")).toHaveTextContent("there");
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/api/campaigns")).toBe(true), { timeout: 3000 });
    const created = calls.find((c) => c.method === "POST" && c.path === "/api/campaigns")!.body as { audience: unknown; session_ids: string[]; template: string };
    expect(created).toMatchObject({ audience: { all: true, tags: [] }, session_ids: ["ses_1"], template: "Hi *there*" });
    expect(await screen.findByTestId("save-state")).toHaveTextContent("Draft saved.");
    await userEvent.type(screen.getByLabelText("To (a contact's phone)"), "+447700900123");
    await userEvent.click(screen.getByRole("button", { name: "Send test" }));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/campaigns/cmp_9/test")).toBe(true));
    expect(calls.filter((c) => c.method === "POST" && c.path === "/api/campaigns")).toHaveLength(1);
  });

  it("says a refusal in plain words at its field, and clears it when the field changes", async () => {
    tokenStore.set("wct_x");
    mockApi({
      ...editorRoutes,
      "PATCH /api/campaigns/cmp_1": { status: 422, body: { error: { code: "validation_failed", message: "Invalid.", details: [{ loc: ["body", "pacing", "daily_cap"], msg: "Input should be greater than or equal to 1", type: "greater_than_equal" }] } } },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    await userEvent.click(await screen.findByRole("button", { name: "Save draft" }));
    const cap = screen.getByLabelText("Most messages a day");
    await userEvent.clear(cap);
    await userEvent.type(cap, "0");
    await userEvent.click(screen.getByRole("button", { name: "Save draft" }));
    await waitFor(() => expect(cap).toHaveAccessibleDescription("Use a number of at least 1."));
    await userEvent.type(cap, "5");
    expect(cap).not.toHaveAccessibleDescription("Use a number of at least 1.");
  });

  it("edits a paused campaign: recipients and numbers stay fixed, only the changed pace is sent, then it resumes", async () => {
    tokenStore.set("wct_x");
    const paused = campaign({ status: "paused", pause_reason: "paused_by_user", send_at: Date.UTC(2020, 0, 1, 9), launched_at: 1_700_000_100_000 });
    const { calls } = mockApi({
      ...editorRoutes,
      "GET /api/campaigns/cmp_1": { body: paused },
      "PATCH /api/campaigns/cmp_1": { body: { ...paused, pacing: { ...paused.pacing, daily_cap: 300 } } },
      "POST /api/campaigns/cmp_1/resume": { body: campaign({ status: "running" }) },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    expect(await screen.findByText(/The recipients are fixed once a campaign has started/)).toBeInTheDocument();
    expect(screen.queryByRole("radio", { name: /All contacts/ })).not.toBeInTheDocument();
    expect(screen.queryByText("As soon as I launch it")).not.toBeInTheDocument();
    const cap = screen.getByLabelText("Most messages a day");
    await userEvent.clear(cap);
    await userEvent.type(cap, "300");
    await userEvent.click(screen.getByRole("button", { name: "Save and resume" }));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/campaigns/cmp_1/resume")).toBe(true));
    const patch = calls.find((c) => c.method === "PATCH")!.body;
    expect(patch).toEqual({ pacing: { min_gap_s: 20, max_gap_s: 60, daily_cap: 300, warmup: true, quiet_start: null, quiet_end: null } });
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/campaigns/cmp_1"));
  });

  it("gives a paused campaign a time to resume: only that time is sent, and it is not resumed now", async () => {
    tokenStore.set("wct_x");
    // Launched in the past (its old start time is history, not "when it resumes").
    const paused = campaign({ status: "paused", pause_reason: "paused_by_user", send_at: Date.UTC(2020, 0, 1, 9), launched_at: 1_700_000_100_000 });
    const { calls } = mockApi({
      ...editorRoutes,
      "GET /api/campaigns/cmp_1": { body: paused },
      "PATCH /api/campaigns/cmp_1": { body: { ...paused, send_at: Date.UTC(2030, 0, 2, 10) } },
    });
    renderWithApp(<CampaignEditorPage />, { path: "/campaigns/cmp_1/edit", route: "/campaigns/:campaignId/edit" });
    const group = await screen.findByRole("group", { name: "When it resumes" });
    expect(within(group).getByRole("radio", { name: "When I resume it" })).toBeChecked();
    await userEvent.click(within(group).getByRole("radio", { name: "By itself at a date and time" }));
    const when = screen.getByLabelText("Date and time");
    await userEvent.clear(when);
    await userEvent.type(when, "2030-01-02T10:00");
    // The forecast starts from that time.
    await waitFor(() => expect(calls.some((c) => c.path === "/api/campaigns/forecast" && (c.body as { send_at?: string }).send_at === "2030-01-02T10:00")).toBe(true));
    await userEvent.click(screen.getByRole("button", { name: "Save; it resumes then" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/campaigns/cmp_1"));
    const patch = calls.find((c) => c.method === "PATCH")!.body;
    expect(patch).toEqual({ send_at: "2030-01-02T10:00", timezone: "Europe/Lisbon" });
    expect(calls.some((c) => c.path === "/api/campaigns/cmp_1/resume")).toBe(false);
  });
});

describe("CampaignDetailPage", () => {
  it.each([
    ["needs_license", /can only message people who have chatted with it before or who are saved in its phone's contacts/],
    ["session_restricted", /not letting a sending number start new chats/],
    ["license_rejected", /did not unlock messaging new contacts/],
  ])("explains a pause for %s in words, not as a code", async (reason, words) => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/campaigns/cmp_1": { body: campaign({ status: "paused", pause_reason: reason }) },
      "GET /api/campaigns/cmp_1/messages": { body: { items: [], next_cursor: null } },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    expect(await screen.findByText(words)).toBeInTheDocument();
    expect(screen.queryByText(new RegExp(reason.replace("_", " ")))).not.toBeInTheDocument();
  });

  it("names OpenWA's refusals in words in the recipients table", async () => {
    tokenStore.set("wct_x");
    const row = (phone: string, reason: string) => ({ phone, name: null, status: "failed", reason, session_id: "ses_1", attempts: 1, queued_at: 1, sent_at: null, delivered_at: null, read_at: null, failed_at: 2, replied_at: null });
    mockApi({
      "GET /api/campaigns/cmp_1": { body: campaign({ status: "running" }) },
      "GET /api/campaigns/cmp_1/messages": { body: { items: [row("+447700900001", "restricted"), row("+447700900002", "chat_not_found"), row("+447700900003", "no_chats"), row("+447700900004", "broadcast_refused")], next_cursor: null } },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    expect(await screen.findByText("WhatsApp is not letting the number start new chats for now")).toBeInTheDocument();
    expect(screen.getByText("WhatsApp could not open a chat with this number")).toBeInTheDocument();
    expect(screen.getByText("WhatsApp Web needs at least one chat on the number first")).toBeInTheDocument();
    expect(screen.getByText("cannot be sent to a broadcast list")).toBeInTheDocument();
  });

  it("shows counters, the pause reason in words, and cancels after confirmation", async () => {
    tokenStore.set("wct_x");
    let cancelled = false;
    const { calls } = mockApi({
      "GET /api/campaigns/cmp_1": () => ({ body: cancelled ? campaign({ status: "cancelled", progress: 1 }) : campaign({ status: "paused", pause_reason: "session_logged_out" }) }),
      "GET /api/campaigns/cmp_1/messages": { body: { items: [{ phone: "+447700900123", name: "Maria", status: "failed", reason: "not_on_whatsapp", session_id: "ses_1", attempts: 1, queued_at: 1, sent_at: null, delivered_at: null, read_at: null, failed_at: 2, replied_at: null }], next_cursor: null } },
      "POST /api/campaigns/cmp_1/cancel": () => {
        cancelled = true;
        return { body: campaign({ status: "cancelled", progress: 1 }) };
      },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    expect(await screen.findByText(/logged out on the phone/)).toBeInTheDocument();
    expect(screen.getByTestId("campaign-progress")).toHaveTextContent("Paused — 6 of 10 sent");
    expect(screen.getByRole("progressbar", { name: "Campaign progress" })).toHaveAttribute("aria-valuenow", "60");
    // the funnel ends with the replies: 1 of 10
    expect(screen.getByRole("progressbar", { name: "Replied share" }).closest("li")).toHaveTextContent("Replied1 (10%)");
    expect(await screen.findByText("not on WhatsApp")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Cancel campaign" }));
    const dialog = screen.getByRole("dialog", { name: "Cancel “Black Friday”?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Cancel campaign" }));
    await waitFor(() => expect(calls.some((c) => c.path === "/api/campaigns/cmp_1/cancel")).toBe(true));
    await waitFor(() => expect(screen.getByTestId("campaign-status")).toHaveTextContent("Cancelled"));
    expect(screen.getByTestId("campaign-progress")).toHaveTextContent("Cancelled — 6 of 10 sent");
    // The API counts cancelled messages as final (progress 1): the bar shows what was sent.
    expect(screen.getByRole("progressbar", { name: "Campaign progress" })).toHaveAttribute("aria-valuenow", "60");
    // Its 4 waiting messages are dropped: counted as cancelled (not waiting), so the counts add up.
    const counts = screen.getByTestId("campaign-counters");
    expect(within(counts).queryByText("Waiting")).not.toBeInTheDocument();
    expect(within(counts).getByText("Cancelled").nextSibling).toHaveTextContent("4");
  });

  it("says why each number waits and when the campaign finishes, from the forecast", async () => {
    tokenStore.set("wct_x");
    const resumes = Date.now() + 5 * 3600_000;
    const finish = Date.now() + 13 * 86_400_000;
    mockApi({
      "GET /api/campaigns/cmp_1": {
        body: campaign({
          status: "running",
          finish_at: finish,
          send_limit: 100,
          counters: { ...campaign().counters, skipped: 1856 },
          numbers: [
            { session_id: "ses_1", label: "Front desk", state: "warmup_limit", until: resumes, detail: null },
            { session_id: "ses_2", label: "Back office", state: "offline", until: null, detail: "agent_offline" },
          ],
        }),
      },
      "GET /api/campaigns/cmp_1/messages": { body: page([]) },
      "GET /api/campaigns/cmp_1/forecast": { body: forecastFor({ pacing: { daily_cap: 200 } }).forecast },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    const states = await screen.findByTestId("number-states");
    // A short state in the badge, the rest as plain text beside it.
    expect(states).toHaveTextContent(`Front deskWarm-up limit reachedResumes at ${formatUntil(resumes, "Europe/Lisbon")}`);
    expect(states).toHaveTextContent("Back officeOffline (agent offline)Reconnect it on the Numbers page.");
    expect(screen.getByText(/^Finishes .*\(about 13 days\)$/)).toBeInTheDocument();
    expect(await screen.findByTestId("forecast-words")).toHaveTextContent(/^About 10 days/);
    expect(screen.getByRole("button", { name: "Send the rest (1,856)" })).toBeInTheDocument();
  });

  it("shows the preparation's progress instead of a spinner, and a launch sent back in words with its fix", async () => {
    tokenStore.set("wct_x");
    mockApi({
      "GET /api/campaigns/cmp_1": [
        { body: campaign({ status: "preparing", launch_progress: { stage: "checking", checked: 500, recipients: 1956, queued: 0, total: 0 } }) },
        { body: campaign({ status: "draft", launch_problem: { code: "missing_variables", message: "3 recipients have no city.", details: { count: 3, affected: [{ phone: "+447700900999", name: "No Name", missing: ["city"] }] } } }) },
      ],
      "GET /api/campaigns/cmp_1/messages": { body: page([]) },
    });
    renderWithApp(<CampaignDetailPage />, { path: "/campaigns/cmp_1", route: "/campaigns/:campaignId" });
    expect(await screen.findByTestId("preparing-progress")).toHaveTextContent("Checking contacts (opt-outs, missing variables): 500 of 1,956");
    expect(screen.getByRole("progressbar", { name: "Preparing the launch" })).toHaveAttribute("aria-valuenow", "26");
    expect(await screen.findByText("Some recipients lack a variable", {}, { timeout: 10_000 })).toBeInTheDocument();
    expect(screen.getByText(/Skip contacts missing it/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Fix the campaign" })).toHaveAttribute("href", "/campaigns/cmp_1/edit");
  });

  it("lists campaigns with their state and filters by status", async () => {
    tokenStore.set("wct_x");
    const { calls } = mockApi({ "GET /api/campaigns": { body: page([campaign({ status: "running" })]) } });
    renderWithApp(<CampaignsPage />, { path: "/campaigns" });
    expect(await screen.findByRole("link", { name: "Black Friday" })).toHaveAttribute("href", "/campaigns/cmp_1");
    expect(screen.getByText(/6 of 10 sent · 4 delivered · 1 failed/)).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Status"), "paused");
    await waitFor(() => expect(calls.some((c) => c.url.searchParams.get("status") === "paused")).toBe(true));
  });
});

describe("CampaignEmails", () => {
  it("lets the user choose which campaign events also send an email", async () => {
    tokenStore.set("wct_x");
    const settings = { campaign_started: true, campaign_paused: true, campaign_finished: true, campaign_waiting: true };
    const { calls } = mockApi({
      "GET /api/campaigns": { body: page([]) },
      "GET /api/notification-settings": { body: settings },
      "PUT /api/notification-settings": (_r, _u, body) => ({ body: body as object }),
    });
    renderWithApp(<CampaignsPage />, { path: "/campaigns" });
    const started = await screen.findByRole("checkbox", { name: "A campaign starts sending" });
    expect(started).toBeChecked();
    await userEvent.click(started);
    await waitFor(() => expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ ...settings, campaign_started: false }));
    await waitFor(() => expect(started).not.toBeChecked());
  });
});

describe("campaign helpers", () => {
  it("warns about fast pacing and high caps, and shows a time in the campaign's zone", () => {
    expect(pacingWarnings({ minGap: "20", maxGap: "60", dailyCap: "200", warmup: true })).toEqual([]);
    expect(pacingWarnings({ minGap: "0", maxGap: "5", dailyCap: "1000", warmup: false })).toHaveLength(3);
    expect(localInput(Date.UTC(2026, 6, 1, 12, 30), "Europe/Lisbon")).toBe("2026-07-01T13:30");
  });
});
