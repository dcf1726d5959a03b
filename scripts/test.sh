#!/usr/bin/env bash
# Installs what the test suite needs and runs it. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_node_major=20
if ! command -v node >/dev/null 2>&1; then
  echo "test: Node.js ${need_node_major}+ is required and was not found on PATH" >&2
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt "$need_node_major" ]; then
  echo "test: Node.js ${need_node_major}+ is required (found $(node --version))" >&2
  exit 1
fi

# System tools the tests drive for real (bubblewrap: the node agent's sandbox; without it the
# agent falls back to plain processes, so it is installed when possible but not required).
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
if ! command -v bwrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing+=(bubblewrap)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${missing[*]} with apt-get…" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "test: missing ${missing[*]}: install them (e.g. 'sudo apt-get install ${missing[*]}') and re-run" >&2
    exit 1
  fi
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "test: kubectl is required (the end-to-end tests drive the real kubectl): install kubectl 1.28+ and re-run" >&2
  exit 1
fi

echo "test: npm ci…" >&2
npm ci --no-audit --no-fund
npm test
