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

# System tools the tests drive for real: git (repo server), bubblewrap (the node agent's
# sandbox), iproute2 (a network namespace per pod), slirp4netns and nftables (pod egress),
# nats-server, redis-server, nginx, prometheus and postgresql (the images mapped to them),
# mosquitto and rabbitmq-server (Argo Events' mqtt and amqp sources, tested against the real brokers),
# slapd and ldap-utils (the SSO broker's ldap connector, tested against a real slapd),
# chromium (Debian's, for the web UI's browser tests with playwright-core).
# Tests that need an optional one skip with the reason printed.
. scripts/system-deps.sh
system_deps git:git -- /usr/bin/chromium:chromium bwrap:bubblewrap ip:iproute2 nsenter:util-linux slirp4netns:slirp4netns nft:nftables busybox:busybox nats-server:nats-server redis-server:redis-server nginx:nginx /usr/lib/nginx/modules/ngx_stream_module.so:libnginx-mod-stream prometheus:prometheus '/usr/lib/postgresql/*/bin/postgres:postgresql' mosquitto:mosquitto rabbitmq-server:rabbitmq-server slapd:slapd ldapadd:ldap-utils
if ! command -v kubectl >/dev/null 2>&1; then
  echo "test: kubectl is required (the end-to-end tests drive the real kubectl): install kubectl 1.28+ and re-run" >&2
  exit 1
fi

# npm ci only when package-lock.json changed since the last install (a clean clone always installs)
. scripts/npm-deps.sh
npm_deps test
npm test
