import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../../../api/token";
import { setCurrent } from "../../../i18n/current";
import { mockApi, page, session } from "../../../test/mockApi";
import { renderWithApp } from "../../../test/render";
import { TestPanel } from "./TestPanel";

afterEach(() => {
  vi.unstubAllGlobals();
  setCurrent("en", "en-US");
});

function sendTests(left: number[]) {
  tokenStore.set("wct_x");
  return mockApi({
    "GET /api/sessions": { body: page([session({ status: "connected", phone: "447700900001" })]) },
    "POST /api/campaigns/cmp_1/test": left.map((n) => ({ status: 202, body: { message: `The test message is on its way. ${n} of 1200 tests left for today.`, tests_left: n, tests_per_day: 1200 } })),
  });
}

async function sendOne() {
  await userEvent.click(screen.getByRole("button", { name: /^(Send test|Enviar teste)$/ }));
}

describe("the test-send panel", () => {
  it("states no fixed daily number before a test, then the allowance the API counted", async () => {
    const { calls } = sendTests([1199, 1]);
    renderWithApp(<TestPanel sessionIds={["ses_1"]} ensureDraft={async () => "cmp_1"} />);
    expect(screen.getByTestId("test-allowance").textContent).not.toMatch(/\d/);
    expect(screen.queryByTestId("tests-left")).toBeNull();
    await userEvent.type(screen.getByLabelText("To (a contact's phone)"), "+447700900123");
    await waitFor(() => expect(screen.getByRole("button", { name: "Send test" })).toBeEnabled());
    await sendOne();
    expect(await screen.findByTestId("tests-left")).toHaveTextContent("1,199 of 1,200 tests left for today.");
    await sendOne();
    await waitFor(() => expect(screen.getByTestId("tests-left")).toHaveTextContent("1 of 1,200 tests left for today."));
    expect(calls.filter((c) => c.path === "/api/campaigns/cmp_1/test")).toHaveLength(2);
  });

  it("says the count in the account's language and number format", async () => {
    setCurrent("pt-BR", "pt-BR");
    sendTests([1, 0]);
    renderWithApp(<TestPanel sessionIds={["ses_1"]} ensureDraft={async () => "cmp_1"} />);
    expect(screen.getByTestId("test-allowance").textContent).not.toMatch(/\d/);
    await userEvent.type(screen.getByLabelText("Para (telefone de um contato)"), "+447700900123");
    await waitFor(() => expect(screen.getByRole("button", { name: "Enviar teste" })).toBeEnabled());
    await sendOne();
    expect(await screen.findByTestId("tests-left")).toHaveTextContent("Resta 1 de 1.200 testes por hoje.");
    await sendOne();
    await waitFor(() => expect(screen.getByTestId("tests-left")).toHaveTextContent("Restam 0 de 1.200 testes por hoje."));
  });

  it("with A/B variants, sends the chosen variant's message; without, names none", async () => {
    const { calls } = sendTests([5, 4]);
    const { unmount } = renderWithApp(<TestPanel sessionIds={["ses_1"]} ensureDraft={async () => "cmp_1"} variantCount={3} />);
    await userEvent.selectOptions(screen.getByLabelText("Which message"), "Variant C");
    await userEvent.type(screen.getByLabelText("To (a contact's phone)"), "+447700900123");
    await waitFor(() => expect(screen.getByRole("button", { name: "Send test" })).toBeEnabled());
    await sendOne();
    await screen.findByTestId("tests-left");
    const sent = calls.filter((c) => c.path === "/api/campaigns/cmp_1/test");
    expect(sent[0]?.body).toEqual({ session_id: "ses_1", to: "+447700900123", variant: "C" });
    unmount();
    renderWithApp(<TestPanel sessionIds={["ses_1"]} ensureDraft={async () => "cmp_1"} />);
    expect(screen.queryByLabelText("Which message")).toBeNull();
  });
});
