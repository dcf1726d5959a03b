#!/usr/bin/env bash
# Installs the system programs Flotilla uses, with apt-get when running as root, else says what
# is missing and what it costs. Sourced by scripts/test.sh and the ./flotilla launcher.
#   system_deps REQUIRED... -- OPTIONAL...
# Each name is "command:package" (e.g. bwrap:bubblewrap); the command may be an absolute path
# with * (e.g. /usr/lib/postgresql/*/bin/postgres:postgresql). Exits non-zero when a required one
# cannot be installed. Packages are installed without starting their system services (nginx,
# postgresql, prometheus run only as pods).
_sd_present() {
  case "$1" in
    /*) compgen -G "$1" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ;;
  esac
}
system_deps() {
  local required=() optional=() missing=() in_opt=0 spec cmd pkg
  for spec in "$@"; do
    if [ "$spec" = "--" ]; then in_opt=1; continue; fi
    if [ $in_opt = 1 ]; then optional+=("$spec"); else required+=("$spec"); fi
  done
  local can_apt=0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then can_apt=1; fi
  for spec in "${required[@]}" "${optional[@]}"; do
    cmd="${spec%%:*}"; pkg="${spec#*:}"
    if ! _sd_present "$cmd"; then missing+=("$pkg"); fi
  done
  if [ ${#missing[@]} -gt 0 ] && [ $can_apt = 1 ]; then
    echo "flotilla: installing ${missing[*]} with apt-get…" >&2
    # no service of these packages starts on the host: policy-rc.d refuses while they install
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && made_policy=1; fi
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
      echo "flotilla: apt-get could not install all of: ${missing[*]}" >&2
    fi
    if [ $made_policy = 1 ]; then rm -f $policy; fi
  fi
  local failed=0
  for spec in "${required[@]}"; do
    cmd="${spec%%:*}"; pkg="${spec#*:}"
    if ! _sd_present "$cmd"; then
      echo "flotilla: '$cmd' is required: install the package $pkg (e.g. 'sudo apt-get install $pkg') and re-run" >&2
      failed=1
    fi
  done
  for spec in "${optional[@]}"; do
    cmd="${spec%%:*}"; pkg="${spec#*:}"
    if ! _sd_present "$cmd"; then
      case "$cmd" in
        bwrap) why="pods run as plain processes without a sandbox" ;;
        ip) why="pods share the host's network (no network namespace per pod)" ;;
        slirp4netns|nft) why="pods cannot reach addresses outside the cluster, nor the host as host.flotilla.internal" ;;
        nats-server) why="the 'nats' image (and Argo Events' EventBus) cannot run" ;;
        redis-server) why="the 'redis' image (Argo CD's cache) cannot run" ;;
        nginx) why="the 'nginx' image cannot run" ;;
        prometheus) why="the 'prom/prometheus' image cannot run" ;;
        /usr/lib/postgresql/*) why="the 'postgres' image cannot run" ;;
        *) why="some features are unavailable" ;;
      esac
      echo "flotilla: note: '$cmd' (package $pkg) is not installed: $why" >&2
    fi
  done
  return $failed
}
