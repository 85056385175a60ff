// The bearer token lives in localStorage so a reload keeps you signed in.
// Subscribers (the auth context) hear about sign-in, sign-out and a 401.
const KEY = "wacast.token";
const ID_KEY = "wacast.token_id";
type Listener = () => void;
const listeners = new Set<Listener>();

export const tokenStore = {
  get(): string | null {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  /** The id of this browser's token, to mark it in the token list. */
  id(): string | null {
    try {
      return localStorage.getItem(ID_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | null, tokenId?: string): void {
    try {
      if (token) localStorage.setItem(KEY, token);
      else localStorage.removeItem(KEY);
      if (token && tokenId) localStorage.setItem(ID_KEY, tokenId);
      else localStorage.removeItem(ID_KEY);
    } catch {
      /* private mode: the session lasts as long as the page */
    }
    listeners.forEach((listener) => listener());
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
