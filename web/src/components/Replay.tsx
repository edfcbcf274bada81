// asciinema-player on the session's asciicast (fetched with the bearer token).
import { useEffect, useRef, useState } from "react";
import * as AsciinemaPlayer from "asciinema-player";
import "asciinema-player/dist/bundle/asciinema-player.css";
import { authHeaders } from "../api/client";

export default function Replay({ url }: { url: string }) {
  const el = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!el.current) return;
    setError(undefined);
    let player: { dispose: () => void } | undefined;
    try {
      player = AsciinemaPlayer.create({ url, fetchOpts: { headers: authHeaders() } }, el.current, {
        autoPlay: true,
        fit: "width",
        idleTimeLimit: 2,
        theme: "asciinema",
        terminalFontSize: "small",
        logger: {
          log: () => {},
          debug: () => {},
          info: () => {},
          warn: () => {},
          error: (...args: unknown[]) => setError(args.map(String).join(" ")),
        },
      });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    return () => player?.dispose();
  }, [url]);
  return (
    <div>
      <div ref={el} data-testid="replay" />
      {error ? (
        <p role="alert" className="mt-2 text-sm text-rose-400">
          Replay failed: {error}
        </p>
      ) : null}
    </div>
  );
}
