#!/usr/bin/env bash
# Provision the real Pulumi CLI for this repository, online or offline, and print the
# directory that holds `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`
# as the LAST line of stdout (progress goes to stderr). Idempotent: a second run is instant.
#
#   BIN_DIR="$(bash scripts/provision-pulumi.sh | tail -n1)"
#   export PATH="$BIN_DIR:$PATH"          # or: source scripts/pulumi-env.sh
#
# Order: a `pulumi` on PATH (>= the pinned version) > the per-user cache > a build from the Go
# module proxy into that cache > the official installer (needs get.pulumi.com).
# Why a Go build: on machines that reach only the Go module proxy, the installers and the npm
# package `pulumi` (which downloads the binary) fail; the CLI is a plain Go program.
# Why our own plugins (scripts/plugins/): the Node.js language host is a separate Go module
# with no tags that the proxy does not serve, so we ship a small Node implementation of it,
# and the dynamic-provider plugin is a shell script in the official distribution anyway.
#
# Environment:
#   PULUMI_PROVISION_VERSION  pinned CLI version (default 3.274.1; the Go build needs a
#                             matching scripts/pulumi-cli/go.mod)
#   PULUMI_PROVISION_FORCE=1  ignore a `pulumi` on PATH and the cache check (rebuild/reinstall)
#   PULUMI_PROVISION_NO_PATH=1  ignore a `pulumi` on PATH (use the cache/build)
set -euo pipefail

VERSION="${PULUMI_PROVISION_VERSION:-3.274.1}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLUGINS_SRC="$REPO_DIR/scripts/plugins"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-intune-bitlocker"
CACHE_DIR="$CACHE_ROOT/pulumi-v$VERSION"
BIN_DIR="$CACHE_DIR/bin"

log() { printf '[provision-pulumi] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# version_ge A B: true when A >= B (dotted numeric versions, optional leading v).
version_ge() {
  [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -t. -k1,1n -k2,2n -k3,3n | head -n1)" = "${2#v}" ]
}

# cli_version BIN: prints "3.274.1" or nothing (a Go build without ldflags reports "").
cli_version() { "$1" version 2>/dev/null | head -n1 | tr -d '[:space:]' | sed 's/^v//'; }

# Copy our plugin scripts beside a pulumi binary. Copied (not symlinked) so the cache keeps
# working when this checkout moves; re-copied on every run so it never goes stale.
install_plugins() {
  local dir="$1" f dst
  mkdir -p "$dir"
  for f in "$PLUGINS_SRC"/*; do
    [ -f "$f" ] || continue
    dst="$dir/$(basename "$f")"
    # A plugin shipped with an official CLI (a file or our link to it) is the real thing: keep it.
    if [ -e "$dst" ] && ! grep -q 'pulumi-intune-bitlocker' "$dst" 2>/dev/null; then continue; fi
    if ! cmp -s "$f" "$dst"; then rm -f "$dst" && cp "$f" "$dst"; fi
    chmod +x "$dst"
  done
}

# 1. A suitable pulumi on PATH: expose it through a bin dir of links, so plugins beside the
#    real binary (an official install) are used and ours fill only what is missing.
use_path_pulumi() {
  local found real v dir
  found="$(command -v pulumi 2>/dev/null)" || return 1
  real="$(readlink -f "$found")"
  case "$real" in "$CACHE_ROOT"/*) return 1 ;; esac # that is our own cache: step 2 handles it
  v="$(cli_version "$real")"
  if [ -z "$v" ] || ! version_ge "$v" "$VERSION"; then
    log "ignoring $found (version '${v:-unknown}' < $VERSION)"
    return 1
  fi
  dir="$CACHE_ROOT/from-path/bin"
  mkdir -p "$dir"
  ln -sfn "$real" "$dir/pulumi"
  for p in pulumi-language-nodejs pulumi-resource-pulumi-nodejs; do
    if [ -x "$(dirname "$real")/$p" ]; then ln -sfn "$(dirname "$real")/$p" "$dir/$p"; fi
  done
  install_plugins "$dir"
  log "using pulumi $v from PATH ($real)"
  echo "$dir"
}

# 2. The cache, if it holds a CLI of the pinned version.
use_cache() {
  [ -x "$BIN_DIR/pulumi" ] || return 1
  [ "$(cli_version "$BIN_DIR/pulumi")" = "$VERSION" ] || return 1
  install_plugins "$BIN_DIR"
  log "using cached pulumi $VERSION ($BIN_DIR)"
  echo "$BIN_DIR"
}

# 3. Build from the Go module proxy. The wrapper module (scripts/pulumi-cli) pins pkg/v3 and
#    sdk/v3 with go.sum checksums and repeats pkg/go.mod's non-local `replace`; `go install
#    pkg@version` refuses modules with replaces. Built in a temp copy so -mod=mod never
#    touches the committed go.mod/go.sum. The version is stamped with -ldflags, else
#    `pulumi version` is empty and version checks (Automation API, plugins) misbehave.
build_from_go() {
  command -v go >/dev/null 2>&1 || { log "go not found: cannot build from the Go module proxy"; return 1; }
  [ -f "$REPO_DIR/scripts/pulumi-cli/go.mod" ] || return 1
  grep -q "github.com/pulumi/pulumi/pkg/v3 v$VERSION\$" "$REPO_DIR/scripts/pulumi-cli/go.mod" \
    || { log "scripts/pulumi-cli/go.mod does not pin v$VERSION"; return 1; }
  local work logfile start end
  work="$(mktemp -d)"
  logfile="$CACHE_ROOT/build-v$VERSION.log"
  mkdir -p "$CACHE_ROOT" "$BIN_DIR"
  cp "$REPO_DIR/scripts/pulumi-cli/"{go.mod,go.sum,tools.go} "$work/"
  log "building pulumi $VERSION from Go modules (~6 min with an empty Go build cache, ~15 s warm); log: $logfile"
  start=$(date +%s)
  # -x would be too verbose; go's own "downloading" lines plus a heartbeat show progress.
  (
    cd "$work"
    GOFLAGS="-mod=mod -buildvcs=false" go build \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION" \
      -o "$BIN_DIR/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  ) >"$logfile" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && log "... still building ($(($(date +%s) - start))s, $(grep -c 'go: downloading' "$logfile" || true) modules downloaded)"
  done
  if ! wait "$pid"; then
    rm -rf "$work" "$BIN_DIR/pulumi.tmp"
    log "go build failed; last lines of $logfile:"
    tail -n 20 "$logfile" >&2
    return 1
  fi
  end=$(date +%s)
  rm -rf "$work"
  mv -f "$BIN_DIR/pulumi.tmp" "$BIN_DIR/pulumi" # atomic: a half-built binary is never cached
  echo "built in $((end - start))s on $(date -u +%FT%TZ)" >>"$logfile"
  log "built pulumi $VERSION in $((end - start))s"
  install_plugins "$BIN_DIR"
  echo "$BIN_DIR"
}

# 4. The official installer, for a laptop with internet. It also brings the official
#    language host, which install_plugins then leaves alone.
install_official() {
  command -v curl >/dev/null 2>&1 || return 1
  curl -fsS --max-time 10 -o /dev/null https://get.pulumi.com 2>/dev/null || { log "get.pulumi.com unreachable"; return 1; }
  log "installing pulumi $VERSION with the official installer into $CACHE_DIR"
  curl -fsSL https://get.pulumi.com | sh -s -- --version "$VERSION" --install-root "$CACHE_DIR" --no-edit-path >&2 || return 1
  install_plugins "$BIN_DIR"
  echo "$BIN_DIR"
}

if [ "${PULUMI_PROVISION_FORCE:-}" != 1 ]; then
  if [ "${PULUMI_PROVISION_NO_PATH:-}" != 1 ]; then use_path_pulumi && exit 0; fi
  use_cache && exit 0
fi
# One build per machine: concurrent runs (parallel test jobs, several checkouts) wait for the
# first instead of each compiling the CLI, which on 2 cores multiplies the time by their number.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.provision.lock"
if ! flock -n 9; then
  log "another provisioning run is building pulumi $VERSION; waiting for it"
  flock 9
  [ "${PULUMI_PROVISION_FORCE:-}" = 1 ] || { use_cache && exit 0; }
fi
build_from_go && exit 0
install_official && exit 0
die "could not provision pulumi $VERSION: no suitable pulumi on PATH, no cache at $BIN_DIR,
the Go build failed (needs go >= 1.26 and the Go module proxy) and get.pulumi.com is unreachable.
Install Pulumi $VERSION yourself (https://www.pulumi.com/docs/install/) and put it on PATH."
