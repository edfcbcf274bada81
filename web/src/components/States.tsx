// Loading, empty and error states shared by every page.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 p-4 text-sm text-slate-400">
      <span className="h-3 w-3 animate-spin rounded-full border-2 border-cyan-400 border-t-transparent" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="p-4 text-sm text-slate-500 italic">{children}</div>;
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const status = error instanceof ApiError ? error.status : undefined;
  const title =
    status === 401 ? "Not signed in" : status === 403 ? "Not allowed" : status === 404 ? "Not found" : "Could not load";
  return (
    <div role="alert" className="m-2 rounded-md border border-rose-800 bg-rose-950/50 p-3 text-sm text-rose-100">
      <span className="font-semibold">{title}</span>
      {status ? <span className="ml-2 text-rose-300">HTTP {status}</span> : null}
      <p className="mt-1 break-words text-rose-200">{error.message}</p>
      {onRetry ? (
        <button type="button" onClick={onRetry} className="mt-2 rounded bg-rose-800 px-2 py-0.5 hover:bg-rose-700">
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Render `children(data)` once loaded; loading/error/empty otherwise. */
export function Async<T>(props: {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload?: () => void;
  empty?: (d: T) => boolean;
  emptyText?: string;
  children: (d: T) => ReactNode;
}) {
  const { data, error, loading, reload, empty, emptyText, children } = props;
  if (error && data === undefined) return <ErrorBox error={error} onRetry={reload} />;
  if (data === undefined) return loading ? <Loading /> : null;
  if (empty?.(data)) return <Empty>{emptyText ?? "Nothing yet."}</Empty>;
  return (
    <>
      {error ? <ErrorBox error={error} onRetry={reload} /> : null}
      {children(data)}
    </>
  );
}
