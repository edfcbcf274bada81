// Who is signed in: the token (sessionStorage) and the role /api/me reports.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { ApiError, api, getToken, setToken } from "../api/client";
import type { Me } from "../api/types";

type AuthState =
  | { status: "checking" }
  | { status: "signed-out"; error?: string }
  | { status: "signed-in"; me: Me; token: string | null }
  | { status: "unreachable"; error: string };

interface AuthValue {
  state: AuthState;
  signIn: (token: string) => Promise<boolean>;
  signOut: () => void;
  retry: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

async function check(token: string | null): Promise<AuthState> {
  try {
    const me = await api<Me>("/api/me", { token });
    return { status: "signed-in", me, token };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      return { status: "signed-out", error: token ? "The API refused this token." : undefined };
    }
    return { status: "unreachable", error: err instanceof Error ? err.message : String(err) };
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: "checking" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    void check(getToken()).then((s) => {
      if (!live) return;
      if (s.status === "signed-out") setToken(null);
      setState(s);
    });
    return () => {
      live = false;
    };
  }, [attempt]);

  const signIn = useCallback(async (token: string) => {
    const s = await check(token.trim());
    if (s.status === "signed-in") setToken(token.trim());
    setState(s);
    return s.status === "signed-in";
  }, []);

  const signOut = useCallback(() => {
    setToken(null);
    setState({ status: "signed-out" });
  }, []);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const value = useMemo(() => ({ state, signIn, signOut, retry }), [state, signIn, signOut, retry]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}

/** The signed-in role (viewer when not signed in). */
export function useRole(): Me["role"] {
  const { state } = useAuth();
  return state.status === "signed-in" ? state.me.role : "viewer";
}

/** Render children only for admins (the API refuses viewers anyway). */
export function AdminOnly({ children }: { children: ReactNode }) {
  return useRole() === "admin" ? <>{children}</> : null;
}
