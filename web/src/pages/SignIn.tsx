// Token sign-in. The token stays in sessionStorage (gone when the tab closes).
import { useState } from "react";
import type { FormEvent } from "react";
import { useAuth } from "../auth/AuthContext";

export function SignIn({ error }: { error?: string }) {
  const { signIn } = useAuth();
  const [token, setTokenText] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    await signIn(token);
    setBusy(false);
  };

  return (
    <main className="flex min-h-screen items-center justify-center">
      <form onSubmit={submit} className="w-[26rem] rounded-xl border border-slate-800 bg-slate-900 p-6 shadow-xl">
        <h1 className="text-xl font-bold">
          <span className="text-cyan-300">Phantom</span>Net
        </h1>
        <p className="mt-1 text-sm text-slate-400">Sign in with an API token. Create one on the PhantomNet host:</p>
        <pre data-testid="token-command" className="mt-2 overflow-x-auto rounded bg-slate-950 px-3 py-2 font-mono text-xs text-emerald-200">
          <code>.venv/bin/phantomnet token create --role admin</code>
        </pre>
        <p className="mt-1 text-xs text-slate-400">
          (<code>--role viewer</code> for read-only access; the token is shown once.)
        </p>
        <label htmlFor="token" className="mt-5 block text-xs font-semibold text-slate-400 uppercase">
          API token
        </label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setTokenText(e.target.value)}
          className="mt-1 w-full rounded border border-slate-700 bg-slate-950 px-3 py-2 font-mono text-sm outline-none focus:border-cyan-500"
        />
        {error ? (
          <p role="alert" className="mt-2 text-sm text-rose-400">
            {error}
          </p>
        ) : null}
        <button
          type="submit"
          disabled={busy || !token.trim()}
          className="mt-4 w-full rounded bg-cyan-600 py-2 text-sm font-semibold text-slate-950 hover:bg-cyan-500 disabled:opacity-50"
        >
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
