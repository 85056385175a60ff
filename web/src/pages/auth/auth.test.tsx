import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../../api/token";
import { currentToasts, dismissToast, subscribeToasts } from "../../lib/toast";
import { mockApi, user } from "../../test/mockApi";
import { renderWithApp } from "../../test/render";
import { LoginPage, safeNext } from "./Login";
import { RegisterPage } from "./Register";
import { ResetPasswordPage } from "./Reset";

afterEach(() => {
  vi.unstubAllGlobals();
  currentToasts().forEach((t) => dismissToast(t.id));
});

const login = { token: "wct_new", token_id: "tok_new", expires_at: 2_000_000_000, user };

describe("RegisterPage", () => {
  it("registers and signs straight in", async () => {
    const registered = { email: "ana@example.com", message: "Sign in to continue." };
    const { calls } = mockApi({
      "POST /api/auth/register": { status: 201, body: registered },
      "POST /api/auth/login": { body: login },
    });
    renderWithApp(<RegisterPage />, { path: "/auth/register" });
    await userEvent.type(screen.getByLabelText("Your name"), "Ana Lima");
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/dashboard"));
    expect(tokenStore.get()).toBe("wct_new");
    expect(tokenStore.id()).toBe("tok_new");
    expect(calls.find((c) => c.path === "/api/auth/register")?.body).toEqual({ name: "Ana Lima", email: "ana@example.com", password: "correct horse battery" });
  });

  it("for an address that already has an account, says to check the email (without saying it exists)", async () => {
    mockApi({
      "POST /api/auth/register": { status: 201, body: { email: "ana@example.com", message: "Sign in to continue." } },
      "POST /api/auth/login": { status: 401, body: { error: { code: "invalid_credentials", message: "Email or password is incorrect.", details: null } } },
    });
    renderWithApp(<RegisterPage />, { path: "/auth/register" });
    await userEvent.type(screen.getByLabelText("Your name"), "Ana Lima");
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/auth/login"));
  });

  it("says a refused registration (too many from here) at the form only, with no toast on top", async () => {
    const refused = "Too many sign-ups from this network. Try again in a few minutes.";
    mockApi({
      "POST /api/auth/register": { status: 429, headers: { "Retry-After": "120" }, body: { error: { code: "rate_limited", message: refused, details: null } } },
    });
    const toasted: string[] = [];
    const unsubscribe = subscribeToasts((toasts) => toasted.push(...toasts.map((t) => t.message)));
    renderWithApp(<RegisterPage />, { path: "/auth/register" });
    await userEvent.type(screen.getByLabelText("Your name"), "Ana Lima");
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByText(refused)).toBeInTheDocument());
    unsubscribe();
    expect(toasted).toEqual([]);
  });
});

describe("LoginPage after registering", () => {
  it("explains the email and offers a reset, no dead end", async () => {
    mockApi({});
    renderWithApp(<LoginPage />, { path: "/auth/login?registered=1&email=ana%40example.com", route: "/auth/login" });
    expect(await screen.findByText(/Check your email/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "reset the password" })).toHaveAttribute("href", "/auth/forgot");
    expect(screen.getByLabelText("Email")).toHaveValue("ana@example.com");
  });
});

describe("LoginPage", () => {
  it("shows a wrong password at the form and goes where ?next= says after signing in", async () => {
    mockApi({
      "POST /api/auth/login": [
        { status: 401, body: { error: { code: "invalid_credentials", message: "Email or password is incorrect.", details: null } } },
        { body: login },
      ],
    });
    renderWithApp(<LoginPage />, { path: "/auth/login?next=%2Fsessions", route: "/auth/login" });
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Email or password is incorrect.");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/sessions"));
  });

  it("says too many failed sign-ins at the form only, with no generic toast on top", async () => {
    const refused = "Too many failed sign-ins from this device. Wait 2 minutes before trying again, or reset your password.";
    mockApi({
      "POST /api/auth/login": { status: 429, headers: { "Retry-After": "87" }, body: { error: { code: "rate_limited", message: refused, details: { reason: "failed_sign_ins_from_here" } } } },
    });
    // Every toast raised, even one gone again by the time the form shows its error.
    const toasted: string[] = [];
    const unsubscribe = subscribeToasts((toasts) => toasted.push(...toasts.map((t) => t.message)));
    renderWithApp(<LoginPage />, { path: "/auth/login", route: "/auth/login" });
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByText(refused)).toBeInTheDocument());
    unsubscribe();
    expect(toasted).toEqual([]);
    expect(screen.getAllByRole("alert")).toHaveLength(1);
  });

  it("only follows ?next= inside the app", () => {
    expect(safeNext("//evil.example")).toBe("/dashboard");
    expect(safeNext("https://evil.example")).toBe("/dashboard");
    expect(safeNext("/auth/login")).toBe("/dashboard");
    expect(safeNext("/admin")).toBe("/admin");
  });
});

describe("ResetPasswordPage", () => {
  it("sends the token from the link with the new password; a bad link says so", async () => {
    const { calls } = mockApi({
      "POST /api/auth/password-reset/confirm": [
        { status: 400, body: { error: { code: "invalid_reset_token", message: "This reset link is invalid, used or expired.", details: null } } },
        { body: { message: "ok" } },
      ],
    });
    renderWithApp(<ResetPasswordPage />, { path: "/auth/reset?token=abc123", route: "/auth/reset" });
    await userEvent.type(screen.getByLabelText("New password"), "a new passphrase");
    await userEvent.type(screen.getByLabelText("Repeat the new password"), "a new passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This reset link is invalid, used or expired.");
    expect(calls[0]!.body).toEqual({ token: "abc123", password: "a new passphrase" });
    await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
    await waitFor(() => expect(screen.getByTestId("location")).toHaveTextContent("/auth/login?reset=1"));
  });

  it("catches two passwords that differ before asking the server", async () => {
    const { calls } = mockApi({});
    renderWithApp(<ResetPasswordPage />, { path: "/auth/reset?token=abc123", route: "/auth/reset" });
    await userEvent.type(screen.getByLabelText("New password"), "a new passphrase");
    await userEvent.type(screen.getByLabelText("Repeat the new password"), "another one");
    await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
    expect(screen.getByLabelText("Repeat the new password")).toHaveAccessibleDescription("The two passwords differ.");
    expect(calls).toHaveLength(0);
  });
});
