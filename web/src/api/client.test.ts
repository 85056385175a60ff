import { afterEach, describe, expect, it, vi } from "vitest";
import { currentToasts, dismissToast } from "../lib/toast";
import { mockApi, user } from "../test/mockApi";
import { api, showsRateLimitItself, unwrap } from "./client";
import { ApiError } from "./errors";
import { tokenStore } from "./token";

afterEach(() => {
  vi.unstubAllGlobals();
  currentToasts().forEach((t) => dismissToast(t.id));
});

describe("the API client", () => {
  it("sends the stored bearer token", async () => {
    const { calls } = mockApi({ "GET /api/me": { body: user } });
    tokenStore.set("wct_secret", "tok_1");
    await expect(unwrap(api.GET("/api/me"))).resolves.toEqual(user);
    expect(calls[0]!.auth).toBe("Bearer wct_secret");
  });

  it("forgets a token the server refuses (401), which sends you to sign in", async () => {
    mockApi({ "GET /api/me": { status: 401, body: { error: { code: "unauthorized", message: "Sign in again.", details: null } } } });
    tokenStore.set("wct_revoked", "tok_1");
    await expect(unwrap(api.GET("/api/me"))).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    expect(tokenStore.get()).toBeNull();
    expect(currentToasts().map((t) => t.message)).toEqual(["Your session has ended. Please sign in again."]);
  });

  it("keeps no token on a failed sign-in and returns the error", async () => {
    mockApi({ "POST /api/auth/login": { status: 401, body: { error: { code: "invalid_credentials", message: "Email or password is incorrect.", details: null } } } });
    const error = await unwrap(api.POST("/api/auth/login", { body: { email: "a@b.co", password: "x" } })).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe("Email or password is incorrect.");
  });

  it("toasts a 429 on an action with its Retry-After", async () => {
    mockApi({
      "POST /api/sessions": { status: 429, headers: { "Retry-After": "12" }, body: { error: { code: "rate_limited", message: "Too many requests.", details: null } } },
    });
    tokenStore.set("wct_x");
    await expect(unwrap(api.POST("/api/sessions", { body: { label: "x" } }))).rejects.toMatchObject({ status: 429, retryAfter: 12 });
    expect(currentToasts().map((t) => t.message)).toEqual(["Too many requests. Please wait 12 s and try again."]);
  });

  it("leaves a 429 to a caller that shows it in place, and still toasts the next one elsewhere", async () => {
    const tooMany = { status: 429, headers: { "Retry-After": "87" }, body: { error: { code: "rate_limited", message: "Too many failed sign-ins from this device.", details: null } } };
    mockApi({ "POST /api/auth/login": tooMany, "POST /api/sessions": tooMany });
    await expect(unwrap(api.POST("/api/auth/login", { body: { email: "a@b.co", password: "x" }, middleware: [showsRateLimitItself] }))).rejects.toMatchObject({ status: 429, message: "Too many failed sign-ins from this device." });
    expect(currentToasts()).toEqual([]);
    tokenStore.set("wct_x");
    await expect(unwrap(api.POST("/api/sessions", { body: { label: "x" } }))).rejects.toMatchObject({ status: 429 });
    expect(currentToasts().map((t) => t.message)).toEqual(["Too many requests. Please wait 87 s and try again."]);
  });

  it("does not toast a 429 on a read: the query client retries it after Retry-After", async () => {
    mockApi({ "GET /api/sessions": { status: 429, headers: { "Retry-After": "1" }, body: { error: { code: "rate_limited", message: "Too many requests.", details: null } } } });
    await expect(unwrap(api.GET("/api/sessions"))).rejects.toMatchObject({ status: 429 });
    expect(currentToasts()).toEqual([]);
  });
});
