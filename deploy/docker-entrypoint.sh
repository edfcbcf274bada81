#!/bin/sh
# PhantomNet container entrypoint: `phantomnet-entrypoint ROLE [ARGS...]`.
# `up` migrates its database itself; `server` insists on the head revision, so for `server` this
# first runs `phantomnet migrate` (idempotent) unless PHANTOMNET_SKIP_MIGRATE=1 (several
# replicas: run the migration once, as a job; see docs/deploy.md). Then it replaces itself with `phantomnet ROLE ARGS...`, so the
# process gets the signals (docker stop, systemd, Kubernetes) and stops cleanly.
set -eu
role="${1:-up}"
[ "$#" -gt 0 ] && shift
case "$role" in
  server)
    if [ "${PHANTOMNET_SKIP_MIGRATE:-0}" != 1 ]; then
      phantomnet migrate
    fi
    ;;
esac
exec phantomnet "$role" "$@"
