// Routes. Heavy pages (map, replay, charts) are split into their own chunks.
import { Suspense, lazy } from "react";
import { Route, Routes, useLocation } from "react-router";
import { getToken } from "./api/client";
import { useAuth } from "./auth/AuthContext";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Layout } from "./components/Layout";
import { ErrorBox, Loading } from "./components/States";
import { Overview } from "./pages/Overview";
import { SignIn } from "./pages/SignIn";

const MapPage = lazy(() => import("./pages/MapPage"));
const EventsPage = lazy(() => import("./pages/EventsPage"));
const AttackerPage = lazy(() => import("./pages/AttackerPage"));
const AttackersPage = lazy(() => import("./pages/AttackersPage"));
const SessionPage = lazy(() => import("./pages/SessionPage"));
const DetectionsPage = lazy(() => import("./pages/DetectionsPage"));

function NotFound() {
  return <ErrorBox error={new Error(`No page at ${useLocation().pathname}`)} />;
}

// The drawer route /events/:id keeps the events page (and its paging) mounted.
function boundaryKey(path: string): string {
  return path.startsWith("/events") ? "/events" : path;
}

export function App() {
  const { state, retry } = useAuth();
  const location = useLocation();
  // With a stored token the pages load while /api/me confirms it (one round trip less before
  // the first data); admin-only controls stay hidden until the role is known.
  const optimistic = state.status === "checking" && getToken() !== null;
  if (state.status === "checking" && !optimistic) return <Loading label="Connecting to the API…" />;
  if (state.status === "unreachable")
    return (
      <div className="mx-auto mt-24 max-w-lg">
        <ErrorBox error={new Error(state.error)} onRetry={retry} />
      </div>
    );
  if (state.status === "signed-out") return <SignIn error={state.error} />;
  return (
    <Layout>
      <ErrorBoundary area="This page" key={boundaryKey(location.pathname)}>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<Overview />} />
            <Route path="/map" element={<MapPage />} />
            <Route path="/events" element={<EventsPage />} />
            <Route path="/events/:eventId" element={<EventsPage />} />
            <Route path="/attackers" element={<AttackersPage />} />
            <Route path="/attackers/:ip" element={<AttackerPage />} />
            <Route path="/sessions/:sessionId" element={<SessionPage />} />
            <Route path="/detections" element={<DetectionsPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </ErrorBoundary>
    </Layout>
  );
}
