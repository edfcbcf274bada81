// Catches render errors so a broken widget shows a message, never a blank page.
import { Component } from "react";
import type { ErrorInfo, ReactNode } from "react";

interface Props {
  children: ReactNode;
  /** Label of the area, shown in the message. */
  area?: string;
}

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("dashboard error", error, info.componentStack);
  }

  render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div role="alert" className="m-4 rounded-lg border border-rose-700 bg-rose-950/60 p-4 text-rose-100">
        <p className="font-semibold">
          {this.props.area ? `${this.props.area} failed to render` : "Something went wrong"}
        </p>
        <p className="mt-1 font-mono text-sm break-all">{error.message}</p>
        <button
          type="button"
          className="mt-3 rounded bg-rose-800 px-3 py-1 text-sm hover:bg-rose-700"
          onClick={() => this.setState({ error: null })}
        >
          Try again
        </button>
      </div>
    );
  }
}
