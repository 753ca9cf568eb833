#!/usr/bin/env bash
# The source fallback needs only Rust, a C and C++ compiler (librdkafka's configure wants both), make
# and perl.
#
# Installs the root tarball alone (no platform package: --omit=optional) into a new app, with
# cmake off PATH and the libcurl headers hidden (a private mount namespace lays an empty tmpfs
# over them), so that kafka-napi's install script must build the native module with cargo from
# the shipped sources. Then loads it and sends through librdkafka's mock cluster.
#
#   bash scripts/ci/source-build-check.sh dist
set -euo pipefail
dist=$(cd "${1:?usage: source-build-check.sh <dir with the tarballs>}" && pwd)
root_tgz=$(ls "$dist"/kafka-napi-[0-9]*.tgz)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A PATH whose directories hold every tool but cmake (and its siblings) and curl-config.
# No pipes here: under pipefail, `ls | grep -q` fails whenever grep exits before ls has written
# everything (SIGPIPE), which left /usr/bin unshadowed in one CI run.
hidden=(cmake ccmake cpack ctest curl-config)
is_hidden() {
  local h
  for h in "${hidden[@]}"; do [ "$1" = "$h" ] && return 0; done
  return 1
}
shadow_path=""
i=0
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  found=0
  for h in "${hidden[@]}"; do [ -e "$d/$h" ] && found=1; done
  if [ $found = 1 ]; then
    i=$((i + 1))
    mkdir -p "$work/path/$i"
    for f in "$d"/*; do
      is_hidden "$(basename "$f")" || ln -s "$f" "$work/path/$i/"
    done
    d="$work/path/$i"
  fi
  shadow_path="${shadow_path:+$shadow_path:}$d"
done

curl_dirs=()
for d in /usr/include/curl /usr/include/*-linux-gnu/curl /usr/local/include/curl; do
  [ -d "$d" ] && curl_dirs+=("$d")
done

mkdir -p "$work/app"
cat >"$work/app/package.json" <<'EOF'
{ "name": "source-build-check", "version": "1.0.0", "private": true }
EOF
cat >"$work/app/smoke.js" <<'EOF'
const { Kafka, MockCluster } = require('kafka-napi')
const assert = require('node:assert')
const path = require('node:path')
const fs = require('node:fs')
;(async () => {
  const dir = path.dirname(require.resolve('kafka-napi/package.json'))
  const built = fs.readdirSync(dir).filter((f) => f.endsWith('.node'))
  assert.ok(built.length === 1, `expected one .node built beside the package, found: ${built}`)
  assert.ok(!fs.existsSync(path.join(dir, '..', 'kafka-napi-linux-x64-gnu')), 'the platform package must not be installed here')
  const mock = new MockCluster({ brokers: 1 })
  mock.createTopic('source-build', { partitions: 1 })
  const producer = new Kafka({ clientId: 'source-build', brokers: mock.brokers, logLevel: 0 }).producer()
  await producer.connect()
  const [meta] = await producer.send({ topic: 'source-build', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] })
  assert.strictEqual(meta.baseOffset, '0')
  await producer.disconnect()
  mock.close()
  console.log(`source build ok: ${built[0]} loads and delivers`)
})().catch((e) => {
  console.error(e)
  process.exit(1)
})
EOF

cat >"$work/run.sh" <<EOF
set -euo pipefail
for d in ${curl_dirs[*]:-}; do mount -t tmpfs none "\$d"; done
export PATH="$shadow_path"
if command -v cmake >/dev/null; then echo "cmake is still on PATH" >&2; exit 1; fi
for d in /usr/include/curl /usr/include/*-linux-gnu/curl; do
  if [ -e "\$d/curl.h" ]; then echo "curl headers still visible in \$d" >&2; exit 1; fi
done
command -v cargo >/dev/null || { echo "cargo is needed for this check" >&2; exit 1; }
cd "$work/app"
start=\$(date +%s)
npm install --no-audit --no-fund --omit=optional --foreground-scripts "$root_tgz"
echo "install with source build: \$((\$(date +%s) - start)) s"
node smoke.js
EOF

echo "cmake hidden from PATH; libcurl headers hidden: ${curl_dirs[*]:-none installed}"
if [ ${#curl_dirs[@]} -gt 0 ]; then
  unshare -m bash "$work/run.sh"
else
  bash "$work/run.sh"
fi
echo "source-build-check: ok (built with cargo, without cmake and without libcurl headers)"
