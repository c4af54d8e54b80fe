# One image for every Syncline process: `syncline evaluator ...`, `syncline gateway ...` (any
# syncline command), and the example backend (docker-compose.yml sets its entrypoint).
#   docker build -t syncline .
#   docker run --rm -e KAFKA_BROKERS=... syncline evaluator --rules /config/sync-rules.yaml
# What it holds and why: docs/deploy.md. infra/compose/test checks this file with hadolint, and
# performs the runtime stage's install and runs its command without Docker.

# The build: every package compiled (npm run build), then the image's file set picked out by
# infra/compose/image-files.ts: manifests for npm ci, compiled JavaScript.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
# --ignore-scripts: no native add-on is needed to compile (better-sqlite3 is for tests only).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && node --conditions=syncline-dist infra/compose/dist/image-files.js /image

FROM node:20-bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="syncline" \
      org.opencontainers.image.description="Syncline: Postgres -> Debezium -> Kafka -> rules evaluator -> Redis -> PowerSync-protocol gateway" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim"
# tini as PID 1: it forwards SIGTERM to node (whose services drain and stop on it) and reaps
# zombies; Kubernetes has no `docker run --init`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /image/manifests/ ./
# Only the workspaces syncline needs at run time have manifests here, so npm installs their
# dependencies and no devDependency (no tsx, no jest, no TypeScript).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /image/build/ ./
RUN ln -s /app/services/cli/bin/syncline.js /usr/local/bin/syncline
# Every @syncline package resolves to its compiled dist/ under this condition (docs/deploy.md).
ENV NODE_ENV=production \
    NODE_OPTIONS=--conditions=syncline-dist
# The image's `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# Gateway, evaluator probes and metrics, example backend.
EXPOSE 8080 9464 6060
# /healthz of whichever service this container runs: SYNCLINE_HEALTH_PORT when set, otherwise the
# gateway's, the evaluator's or the backend's port (each set or at its default).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env;const ports=e.SYNCLINE_HEALTH_PORT?[e.SYNCLINE_HEALTH_PORT]:[e.SYNCLINE_GATEWAY_PORT||8080,e.SYNCLINE_HTTP_PORT||9464,e.BACKEND_PORT||6060];Promise.any(ports.map((p)=>fetch(`http://127.0.0.1:${p}/healthz`).then((r)=>{if(!r.ok)throw new Error(String(r.status));}))).then(()=>process.exit(0),()=>process.exit(1));"]
ENTRYPOINT ["/usr/bin/tini", "--", "syncline"]
CMD ["--help"]
