#!/usr/bin/env bash
# Makes everything secret that deploy/compose.yaml mounts, with the silo CLI of this checkout
# (run `npm ci && npm run build` first). Writes, under deploy/compose/secrets/ (gitignored):
#
#   pki/                    silo certs init: CA (ca.crt, ca.key), coordinator and worker certificates
#   keys/                   silo keys generate: the coordinator's signing key, one key per worker
#   api-token               the coordinator's admin bootstrap secret (random, 32 bytes)
#   coordinator/            what the coordinator container mounts at /etc/silo:
#                             coordinator.yaml, coordinator.key.json, tls/{ca.crt,coordinator.crt,coordinator.key},
#                             workers/<worker>.key.pub.json
#   <worker>/               what each worker container mounts at /etc/silo:
#                             worker.yaml, <worker>.key.json, tls/{ca.crt,<worker>.crt,<worker>.key}
#
# The CA key stays in pki/ and is mounted nowhere. Running it again keeps every existing key and
# certificate (nothing is overwritten) and only rewrites the configs from the examples beside it.
#
# Environment: SILO_SECRETS_DIR (default: secrets/ beside this script), SILO_COORDINATOR_HOSTS
# (names the coordinator's certificate carries, comma-separated; default: coordinator), SILO_UID and
# SILO_GID (owner of the container directories when run as root; default 1000, the images' user).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${SILO_SECRETS_DIR:-$here/secrets}"
hosts="${SILO_COORDINATOR_HOSTS:-coordinator}"
owner="${SILO_UID:-1000}:${SILO_GID:-1000}"
workers=(hospital-a lab-b)

if [ ! -f "$repo/packages/cli/dist/main.js" ]; then
  echo "init.sh: the silo CLI is not built; run: npm ci && npm run build" >&2
  exit 1
fi
silo() { node "$repo/packages/cli/bin/silo.js" "$@"; }

umask 077
mkdir -p "$out/keys"

# 1. The mTLS PKI: a CA, the coordinator's server certificate, a client certificate per worker.
if [ ! -f "$out/pki/ca.crt" ]; then
  silo certs init --out "$out/pki" --coordinator-host "$hosts" --workers "$(IFS=,; echo "${workers[*]}")"
fi
for worker in "${workers[@]}"; do
  [ -f "$out/pki/workers/$worker.crt" ] || silo certs issue-worker --ca-dir "$out/pki" --name "$worker"
done

# 2. Ed25519 signing keys: the coordinator's (checkpoints, aggregates, role tokens) and each worker's.
for name in coordinator "${workers[@]}"; do
  [ -f "$out/keys/$name.key.json" ] || silo keys generate --out "$out/keys/$name.key.json"
done

# 3. The admin bootstrap secret of the control plane.
if [ ! -f "$out/api-token" ]; then
  node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url') + '\n')" >"$out/api-token"
fi

# 4. One directory per container holding only what that container needs (mode 0600 under umask 077).
rm -rf "$out/coordinator"
mkdir -p "$out/coordinator/tls" "$out/coordinator/workers"
cp "$out/pki/ca.crt" "$out/pki/coordinator.crt" "$out/pki/coordinator.key" "$out/coordinator/tls/"
cp "$out/keys/coordinator.key.json" "$out/coordinator/"
for worker in "${workers[@]}"; do
  cp "$out/keys/$worker.key.pub.json" "$out/coordinator/workers/"
  rm -rf "${out:?}/$worker"
  mkdir -p "$out/$worker/tls"
  cp "$out/pki/ca.crt" "$out/pki/workers/$worker.crt" "$out/pki/workers/$worker.key" "$out/$worker/tls/"
  cp "$out/keys/$worker.key.json" "$out/$worker/"
done

# 5. The configs: the examples beside this script plus the apiToken and the pinned coordinatorKey.
node "$here/render-configs.mjs" "$out" "${workers[@]}"

# 6. The containers run as uid 1000 (the images' node user), and refuse keys that others can read.
dirs=("$out/coordinator")
for worker in "${workers[@]}"; do dirs+=("$out/$worker"); done
if [ "$(id -u)" = 0 ]; then
  chown -R "$owner" "${dirs[@]}"
elif [ "$(id -u):$(id -g)" != "$owner" ]; then
  echo "init.sh: warning: the files belong to $(id -u):$(id -g) but the containers run as $owner;" \
    "run this script with sudo so it can hand them over" >&2
fi

echo "secrets written to $out"
echo "coordinator verifier key (give it to auditors): $(cat "$out/coordinator-verifier.key")"
echo "admin bootstrap secret: $out/api-token"
echo "next, from the repository root: docker compose -f deploy/compose.yaml up --build"
