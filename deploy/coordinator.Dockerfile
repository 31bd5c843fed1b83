# syntax=docker/dockerfile:1
# The Silo coordinator: gRPC federation plane (7070), HTTP control plane (7080), ledger in /data.
# Build from the repository root:  docker build -f deploy/coordinator.Dockerfile -t silo-coordinator .
# Run:  docker run -v ./coordinator.yaml:/etc/silo/coordinator.yaml:ro -v silo-data:/data silo-coordinator
# BuildKit reads coordinator.Dockerfile.dockerignore beside this file: only the sources below enter the context.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.base.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY packages ./packages
COPY coordinator ./coordinator
COPY worker ./worker
# --ignore-scripts: the project allows no dependency install scripts (package.json allowScripts),
# so the image runs the same dependency tree that CI tests.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SILO_HEALTH_URL=http://127.0.0.1:7080/healthz
# Application files stay root-owned: the process may write only to /data.
COPY --from=build /app /app
RUN mkdir -p /data /etc/silo && chown node:node /data && chmod 0700 /data
WORKDIR /data
VOLUME ["/data"]
EXPOSE 7070 7080
USER node
# GET /healthz is open and answers once the HTTP control plane listens (after Redis and the ledger are up).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SILO_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/packages/cli/bin/silo.js"]
CMD ["coordinator", "start", "--config", "/etc/silo/coordinator.yaml"]
