import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { login, logout, useAccountCache } from "../api/authApi";
import { tokenStore } from "../api/token";

interface AuthValue {
  token: string | null;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const cache = useAccountCache();
  const token = useSyncExternalStore(tokenStore.subscribe, tokenStore.get, tokenStore.get);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const result = await login(email, password, browserLabel());
      cache.signedIn(result.user);
      tokenStore.set(result.token, result.token_id);
    },
    [cache],
  );

  const signOut = useCallback(async () => {
    try {
      await logout();
    } finally {
      // Signed out here even if the server could not be told.
      tokenStore.set(null);
      cache.signedOut();
    }
  }, [cache]);

  const value = useMemo(() => ({ token, signIn, signOut }), [token, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

/** Names the token after the browser, so the token list says which device is which. */
function browserLabel(): string {
  const ua = typeof navigator === "undefined" ? "" : navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return `Web: ${browser}${os ? ` on ${os}` : ""}`;
}
