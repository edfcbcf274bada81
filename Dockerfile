# syntax=docker/dockerfile:1
# PhantomNet image: `docker build -t phantomnet .` from the repository root.
# One image for every role: `up` (all-in-one, the default), `server`, `sensor`, `monitor`, `migrate`.
# Runs as the unprivileged user phantomnet (uid 10001) on a read-only root file system; the only
# writable place is the data volume /var/lib/phantomnet (plus a tmpfs on /tmp from the runtime).

# --- 1. the dashboard (built here, shipped inside the Python package) -------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
# vite writes into ../src/phantomnet/dashboard/static
RUN mkdir -p /src/src/phantomnet/dashboard && npm run build

# --- 2. the Python package and its dependencies, in a virtual environment ---------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/phantomnet
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src/ src/
COPY --from=web /src/src/phantomnet/dashboard/static/ src/phantomnet/dashboard/static/
RUN /opt/phantomnet/bin/pip install --no-compile . \
    && /opt/phantomnet/bin/python -m compileall -q /opt/phantomnet

# --- 3. the runtime -----------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
# nft and conntrack: the response layer's nftables blocker (only the response role uses them)
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nftables conntrack \
    && rm -rf /var/lib/apt/lists/*
LABEL org.opencontainers.image.title="PhantomNet" \
      org.opencontainers.image.source="https://github.com/phantomnet/phantomnet" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 phantomnet \
    && useradd --system --uid 10001 --gid phantomnet --home-dir /var/lib/phantomnet \
       --no-create-home --shell /usr/sbin/nologin phantomnet \
    && install -d -o phantomnet -g phantomnet -m 0750 /var/lib/phantomnet
COPY --from=build /opt/phantomnet /opt/phantomnet
COPY deploy/docker-entrypoint.sh /usr/local/bin/phantomnet-entrypoint
# Settings come from PHANTOMNET_* variables (docs/deploy.md); the API listens on every
# interface of the container (publish it on the host's loopback or behind a TLS proxy).
ENV PATH=/opt/phantomnet/bin:$PATH \
    HOME=/var/lib/phantomnet \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PHANTOMNET_DATA_DIR=/var/lib/phantomnet \
    PHANTOMNET_API__HOST=0.0.0.0 \
    PHANTOMNET_API__PORT=8000
WORKDIR /var/lib/phantomnet
VOLUME ["/var/lib/phantomnet"]
USER 10001:10001
EXPOSE 8000 2222 2323 8080 8443 2121 2525 3307 5433
# The API's /health (database and bus). Sensor containers override this with a door check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request as u; r=u.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PHANTOMNET_API__PORT','8000'), timeout=4); sys.exit(r.status != 200)"]
ENTRYPOINT ["phantomnet-entrypoint"]
CMD ["up"]
