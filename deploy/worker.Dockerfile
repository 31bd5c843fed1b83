# syntax=docker/dockerfile:1
# A Silo worker: dials out to the coordinator, trains on local data, keeps its egress log in /data.
# Build from the repository root:  docker build -f deploy/worker.Dockerfile -t silo-worker .
# The build needs network access for @tensorflow/tfjs-node (it downloads libtensorflow at install);
# --build-arg TFJS_NODE=0 leaves it out (air-gapped builds, arm64): the worker then trains on WebAssembly.
# BuildKit reads worker.Dockerfile.dockerignore beside this file: only the sources below enter the context.

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
ENV NODE_ENV=production
# Application files stay root-owned: the process may write only to /data.
COPY --from=build /app /app
WORKDIR /app
# The native TensorFlow backend, the worker's fast path. Its version must equal @tensorflow/tfjs in
# package-lock.json, or two copies of tfjs-core load and the backend registers on the wrong one.
# Its install script (allowed here, and only here) downloads libtensorflow.
ARG TFJS_NODE=1
ARG TFJS_NODE_VERSION=4.22.0
RUN if [ "$TFJS_NODE" = "1" ]; then \
      npm install --no-save --omit=dev --no-audit --no-fund --foreground-scripts \
        "@tensorflow/tfjs-node@${TFJS_NODE_VERSION}" \
      && node -e "require('@tensorflow/tfjs-node')" \
      && rm -rf /root/.npm; \
    fi
RUN mkdir -p /data /etc/silo && chown node:node /data && chmod 0700 /data
WORKDIR /data
VOLUME ["/data"]
USER node
# No HEALTHCHECK: a worker listens on no port (it only dials out) and reconnects by itself;
# its state is in its log ("joined", "reconnecting") and in `silo worker egress --state-dir`.
HEALTHCHECK NONE
ENTRYPOINT ["node", "/app/packages/cli/bin/silo.js"]
CMD ["worker", "start", "--config", "/etc/silo/worker.yaml"]
