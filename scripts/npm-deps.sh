#!/usr/bin/env bash
# Installs the npm dependencies (npm ci) only when they are not current, and says what it does and
# how long it takes. Sourced by scripts/test.sh and the ./flotilla launcher (from the repo root).
#   npm_deps WHO [--quiet]
# node_modules is current when node_modules/.flotilla-installed records the sha256 of
# package-lock.json and the Node ABI it was installed for (written after each npm ci). A clean
# clone (CI) has no node_modules, so it always installs.

# with_progress WHO WHAT COMMAND...: runs COMMAND, printing WHAT first and the elapsed time every
# 20 s ($FLOTILLA_PROGRESS_EVERY) while it runs (npm ci and tsc print nothing for minutes), then how long it took.
with_progress() {
  local who="$1" what="$2" start=$SECONDS ticker rc=0
  shift 2
  echo "$who: $what…" >&2
  # (sleep in the background and wait: a signal interrupts wait at once, and the trap ends the sleep too)
  ( trap 'kill $s 2>/dev/null; exit 0' TERM
    while :; do sleep "${FLOTILLA_PROGRESS_EVERY:-20}" & s=$!; wait $s; echo "$who: … still ${what%% (*} ($((SECONDS - start)) s so far)" >&2; done ) &
  ticker=$!
  "$@" >&2 || rc=$?
  kill "$ticker" 2>/dev/null
  wait "$ticker" 2>/dev/null || true
  if [ $rc = 0 ]; then echo "$who: done in $((SECONDS - start)) s" >&2; fi
  return $rc
}

npm_deps() {
  local who="$1" quiet="${2:-}" stamp=node_modules/.flotilla-installed want
  want="$(sha256sum package-lock.json | cut -d' ' -f1) node-abi-$(node -p process.versions.modules)"
  if [ -d node_modules ] && [ ! -f "$stamp" ] && [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
    # installed before this stamp existed, and not older than the lock file: adopt it
    echo "$want" > "$stamp"
  fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    [ "$quiet" = --quiet ] || echo "$who: node_modules is current (package-lock.json unchanged since the last npm ci): skipping npm ci" >&2
    return 0
  fi
  with_progress "$who" "installing dependencies with npm ci (about 2 minutes the first time)" npm ci --no-audit --no-fund
  mkdir -p node_modules && echo "$want" > "$stamp"
}
