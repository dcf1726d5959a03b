#!/bin/sh
# argoexec as the executor image runs it in a workflow pod: `argoexec.sh NODE ARGS…` (the node agent's
# image table maps quay.io/argoproj/argoexec and Flotilla's image here, NODE being its Node.js).
#
# Every command is Flotilla's argoexec (dist/bin.js beside this file) except the `init` of a plain
# container template — no artifacts, script, resource, sidecars, init containers, container set or
# output paths: there init has nothing to load or stage and only writes the launcher, so it does that
# here, and the launcher it writes runs main's emissary in sh (argoexec-launcher.sh beside this file)
# instead of starting Node.js. Two Node.js starts fewer per pod (about 100 ms of CPU each; docs/workflows.md
# "Throughput"). And `wait`, when the pod has nothing for it to report, waits in sh too (below).
# These paths start as few processes as they can (each fork+exec is a few ms of CPU): builtins where sh has
# them, a program only when something is missing, and init prepares what main's emissary and `wait` need.
node=$1
shift
bin="${0%/*}/dist/bin.js"

plain() {
  [ "$1" = init ] || return 1
  case "${ARGO_CONTAINER_NAME:-init}" in init) ;; *) return 1 ;; esac
  case "$ARGO_TEMPLATE" in *'"container":{'*) ;; *) return 1 ;; esac
  case "$ARGO_TEMPLATE" in
    *'"artifacts"'* | *'"script"'* | *'"resource"'* | *'"containerSet"'* | *'"sidecars"'* | *'"initContainers"'* | *'"path"'* | *'"data"'* | *'"http"'* | *'"plugin"'* | *'"archiveLocation"'*) return 1 ;;
  esac
  return 0
}

# fifos PATH… (shared with the launcher's body; `.` starts no process)
. "${0%/*}/argoexec-lib.sh"

# `wait` of a pod the controller says has nothing to report (a plain container: no outputs, no `result`, no
# sidecars, no logs to archive): wait for main's exit code and write no task result — the controller completes
# the node from the pod's status, and the pod's deadline is the node agent's
# main's emissary writes a line to the FIFO `.exited` beside `exitcode` once that is written (both emissaries do):
# wait opens the FIFO read-write before it looks for `exitcode`, so a line written after that look is kept for
# its read, and it wakes at once; a look at the file every second (FLOTILLA_WAIT_RECHECK) covers an emissary
# that writes no line. init made the directory and the FIFO (the plain path below); made here when missing.
# main's sh emissary writes `exitcode` in place when the pod has nothing to report, so it may be read empty
# for an instant: it is read again a few times
# A program that writes its progress (`N/M` to $ARGO_PROGRESS_FILE) has something to report after all: the same look
# every second sees the file, and Flotilla's `wait` (Node.js) takes over, reporting it in the task result.
if [ "$1" = wait ] && [ "${FLOTILLA_NOTHING_TO_REPORT:-}" = true ]; then
  # wait's first line, in upstream's words (`argo logs … -c wait` shows it; the version is ARGO_VERSION of
  # @flotilla/workflows-controller, checked by argoexec-sh.test.ts). No time=: sh has no clock without a process
  echo 'level=info msg="Starting Workflow Executor" version=v3.6.0+flotilla' >&2
  trap 'exit 0' TERM INT
  d="${FLOTILLA_POD_ROOT:-}/var/run/argo/ctr/main"
  f="$d/exitcode"
  prog="${FLOTILLA_POD_ROOT:-}${ARGO_PROGRESS_FILE:-/var/run/argo/progress}"
  [ -d "$d" ] || mkdir -p "$d" 2>/dev/null
  [ -p "$d/.exited" ] || fifos "$d/.exited" 2>/dev/null
  if [ -p "$d/.exited" ]; then
    exec 3<>"$d/.exited"
    if [ ! -f "$f" ]; then
      ( while [ ! -f "$f" ] && [ ! -s "$prog" ]; do sleep "${FLOTILLA_WAIT_RECHECK:-1}"; done; echo >&3 ) </dev/null >/dev/null 2>&1 &
      ticker=$!
      [ -f "$f" ] || [ -s "$prog" ] || read -r _ <&3
      kill "$ticker" 2>/dev/null
    fi
    exec 3<&-
  else
    while [ ! -f "$f" ] && [ ! -s "$prog" ]; do sleep 0.2; done
  fi
  if [ -s "$prog" ]; then
    unset FLOTILLA_NOTHING_TO_REPORT
    export FLOTILLA_WAIT_STARTED=true # (the first line is written)
    exec "$node" "$bin" "$@"
  fi
  code=
  i=0
  while :; do
    read -r code <"$f" || :
    [ -z "$code" ] && [ "$i" -lt 10 ] || break
    i=$((i + 1))
    sleep 0.1
  done
  printf 'time="%s" level=info msg="main container(s) finished: main=%s (nothing to report)"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$code" >&2
  exit 0
fi

if ! plain "$@"; then exec "$node" "$bin" "$@"; fi

# init of a plain container, with builtins but for a mkdir, a mkfifo and a chmod (the first two only when missing):
# - main's directory and its FIFOs (.out and .err for its output, .exited for `wait`), so that neither makes them;
#   ARGO_CONTAINER_NAME of a plain container's main is `main`
# - the launcher /var/run/argo/argoexec: node, bin, whether the pod has nothing to report (the controller says so
#   in init's environment as in wait's: main's emissary then tees nothing), then the static body
#   argoexec-launcher.sh beside this file, sourced (the installation is visible in the containers, as dist/bin.js
#   is). Written in place: init ends before main starts
q() {
  case "$1" in
    *"'"*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf "'%s'" "$1" ;;
  esac
}
dir="${FLOTILLA_POD_ROOT:-}/var/run/argo"
ctr="$dir/ctr/main"
[ -d "$ctr" ] || mkdir -p "$ctr" || exit 1
fifos "$ctr/.out" "$ctr/.err" "$ctr/.exited" # (on failure the emissary makes its own, and `wait` polls)
nothing=false
[ "${FLOTILLA_NOTHING_TO_REPORT:-}" = true ] && nothing=true
{
  printf '#!/bin/sh\n'
  printf '# written by `argoexec init` for a plain container: main'"'"'s emissary in sh (any other use: Flotilla'"'"'s argoexec)\n'
  printf '_argo_node='
  q "$node"
  printf '\n_argo_bin='
  q "$bin"
  printf '\n_argo_nothing=%s\n. ' "$nothing"
  q "${0%/*}/argoexec-launcher.sh"
  printf '\n'
} >"$dir/argoexec" && chmod 755 "$dir/argoexec" || exit 1
exit 0
