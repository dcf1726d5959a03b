#!/bin/sh
# argoexec as the executor image runs it in a workflow pod: `argoexec.sh NODE ARGS…` (the node agent's
# image table maps quay.io/argoproj/argoexec and Flotilla's image here, NODE being its Node.js).
#
# Every command is Flotilla's argoexec (dist/bin.js beside this file) except the `init` of a plain
# container template — no artifacts, script, resource, sidecars, init containers, container set or
# output paths: there init has nothing to load or stage and only writes the launcher, so it does that
# here, and the launcher it writes runs main's emissary in sh (below) instead of starting Node.js.
# Two Node.js starts fewer per pod (about 100 ms of CPU each; docs/workflows.md "Throughput"). And `wait`, when
# the pod has nothing for it to report, waits in sh too (below).
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

# `wait` of a pod the controller says has nothing to report (a plain container: no outputs, no `result`, no
# sidecars, no logs to archive): wait for main's exit code and write no task result — the controller completes
# the node from the pod's status, and the pod's deadline is the node agent's
# main's emissary writes a line to the FIFO `.exited` beside `exitcode` once that is written (both emissaries do):
# wait opens the FIFO read-write before it looks for `exitcode`, so a line written after that look is kept for
# its read, and it wakes at once; a look at the file every second (FLOTILLA_WAIT_RECHECK) covers an emissary
# that writes no line
if [ "$1" = wait ] && [ "${FLOTILLA_NOTHING_TO_REPORT:-}" = true ]; then
  trap 'exit 0' TERM INT
  d="${FLOTILLA_POD_ROOT:-}/var/run/argo/ctr/main"
  f="$d/exitcode"
  mkdir -p "$d" 2>/dev/null
  [ -p "$d/.exited" ] || mkfifo "$d/.exited" 2>/dev/null
  if [ -p "$d/.exited" ]; then
    exec 3<>"$d/.exited"
    ( while [ ! -f "$f" ]; do sleep "${FLOTILLA_WAIT_RECHECK:-1}"; done; echo >&3 ) </dev/null >/dev/null 2>&1 &
    ticker=$!
    [ -f "$f" ] || read -r _ <&3
    kill "$ticker" 2>/dev/null
  else
    while [ ! -f "$f" ]; do sleep 0.2; done
  fi
  printf 'time="%s" level=info msg="main container(s) finished: main=%s (nothing to report)"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(cat "$f")" >&2
  exit 0
fi

if ! plain "$@"; then exec "$node" "$bin" "$@"; fi

# init of a plain container: the launcher, written atomically
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
dir="${FLOTILLA_POD_ROOT:-}/var/run/argo"
mkdir -p "$dir" || exit 1
tmp="$dir/.argoexec.$$"
{
  printf '#!/bin/sh\n'
  printf '# written by `argoexec init` for a plain container: main'"'"'s emissary in sh (any other use: Flotilla'"'"'s argoexec)\n'
  printf 'node=%s\nbin=%s\n' "$(q "$node")" "$(q "$bin")"
  cat <<'LAUNCHER'
if [ "$1" != emissary ]; then exec "$node" "$bin" "$@"; fi
shift
[ "$1" = -- ] && shift
# a program this sh cannot find (an image's own program name, a missing one): the Node.js emissary
# resolves it as the node agent does, or reports it
case "$1" in
  '') exec "$node" "$bin" emissary -- "$@" ;;
  */*) [ -f "$1" ] && [ -x "$1" ] || exec "$node" "$bin" emissary -- "$@" ;;
  *) command -v "$1" >/dev/null 2>&1 || exec "$node" "$bin" emissary -- "$@" ;;
esac
d="${FLOTILLA_POD_ROOT:-}/var/run/argo/ctr/${ARGO_CONTAINER_NAME:-main}"
mkdir -p "$d" || exit 1
rm -f "$d/.out" "$d/.err"
mkfifo "$d/.out" "$d/.err" || exit 1
# stdout and stderr to the container's own and to the files `wait` reads; the command keeps the
# container's stdin (an asynchronous command's would be /dev/null)
exec 3<&0
tee "$d/stdout" <"$d/.out" 3<&- &
tout=$!
tee "$d/stderr" <"$d/.err" >&2 3<&- &
terr=$!
"$@" <&3 3<&- >"$d/.out" 2>"$d/.err" &
pid=$!
exec 3<&-
for s in TERM INT HUP QUIT USR1 USR2; do trap "kill -$s $pid 2>/dev/null" "$s"; done
# `wait` asks for a signal (deadline, stop) through the `signal` file
(
  while sleep 0.5; do
    if [ -f "$d/signal" ]; then
      n=$(cat "$d/signal")
      rm -f "$d/signal"
      kill "-$n" "$pid" 2>/dev/null
    fi
  done
) </dev/null >/dev/null 2>&1 &
poller=$!
while :; do
  wait "$pid"
  code=$?
  kill -0 "$pid" 2>/dev/null || break
done
kill "$poller" 2>/dev/null
wait "$tout" "$terr"
rm -f "$d/.out" "$d/.err"
printf '%s' "$code" >"$d/.exitcode" && mv -f "$d/.exitcode" "$d/exitcode"
# wake `wait` (read-write: with no reader the line is dropped, nothing blocks)
if [ -p "$d/.exited" ]; then exec 4<>"$d/.exited" && echo >&4; exec 4>&-; fi
exit "$code"
LAUNCHER
} >"$tmp" && chmod 755 "$tmp" && mv -f "$tmp" "$dir/argoexec" || exit 1
exit 0
