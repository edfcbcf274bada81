// Sidebar navigation + header with the role and sign-out.
import type { ReactNode } from "react";
import { NavLink } from "react-router";
import { useAuth } from "../auth/AuthContext";

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/map", "Attack map"],
  ["/events", "Events"],
  ["/attackers", "Attackers"],
  ["/detections", "Detections"],
];

export function Layout({ children }: { children: ReactNode }) {
  const { state, signOut } = useAuth();
  const me = state.status === "signed-in" ? state.me : null;
  return (
    <div className="flex h-full min-h-screen">
      <nav className="flex w-44 shrink-0 flex-col border-r border-slate-800 bg-slate-900/80">
        <div className="px-4 py-4">
          <span className="text-lg font-bold tracking-tight text-cyan-300">Phantom</span>
          <span className="text-lg font-bold tracking-tight text-slate-100">Net</span>
        </div>
        {NAV.map(([to, label]) => (
          <NavLink
            key={to}
            to={to}
            end={to === "/"}
            className={({ isActive }) =>
              `px-4 py-2 text-sm ${isActive ? "border-l-2 border-cyan-400 bg-slate-800/70 text-cyan-200" : "border-l-2 border-transparent text-slate-400 hover:bg-slate-800/40 hover:text-slate-200"}`
            }
          >
            {label}
          </NavLink>
        ))}
        <div className="mt-auto space-y-2 p-4 text-xs text-slate-500">
          {me ? (
            <p>
              Role: <span data-testid="role" className={me.role === "admin" ? "text-amber-300" : "text-slate-300"}>{me.role}</span>
              {me.auth === "off" ? <span className="ml-1 text-rose-400">(auth off)</span> : null}
            </p>
          ) : null}
          {me?.auth !== "off" ? (
            <button type="button" onClick={signOut} className="text-slate-400 underline hover:text-slate-200">
              Sign out
            </button>
          ) : null}
        </div>
      </nav>
      <main className="min-w-0 flex-1 overflow-x-hidden p-4">{children}</main>
    </div>
  );
}
