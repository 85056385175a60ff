import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, showsRateLimitItself, unwrap } from "./client";
import { keys } from "./keys";
import type { User } from "./types";

/** Signs in; the answer holds the new token and the user. The form says a 429 itself. */
export function login(email: string, password: string, label: string) {
  return unwrap(api.POST("/api/auth/login", { body: { email, password, label }, middleware: [showsRateLimitItself] }));
}

/** Revokes the current token on the server (the caller forgets it either way). */
export async function logout(): Promise<void> {
  await api.POST("/api/auth/logout");
}

export function register(body: { name: string; email: string; password: string }) {
  return unwrap(api.POST("/api/auth/register", { body, middleware: [showsRateLimitItself] }));
}

/** Asks for a reset link by email (the answer is the same whether or not the address has an account). */
export function requestPasswordReset(email: string) {
  return unwrap(api.POST("/api/auth/password-reset", { body: { email }, middleware: [showsRateLimitItself] }));
}

export function confirmPasswordReset(token: string, password: string) {
  return unwrap(api.POST("/api/auth/password-reset/confirm", { body: { token, password }, middleware: [showsRateLimitItself] }));
}

/** Nothing of another account stays cached across a sign-in or sign-out; a signed-in user is known at once. */
export function useAccountCache() {
  const qc = useQueryClient();
  return useMemo(
    () => ({
      signedIn(user: User) {
        qc.clear();
        qc.setQueryData(keys.me, user);
      },
      signedOut() {
        qc.clear();
      },
    }),
    [qc],
  );
}
