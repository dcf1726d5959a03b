# The body of the launcher /var/run/argo/argoexec that argoexec.sh's `init` of a plain container writes: the
# launcher sets node, bin and nothing (the pod has nothing to report: true or false), then sources this file
# (`.`: no process) with its own arguments. Any command but `emissary` is Flotilla's argoexec; the emissary of
# main is POSIX sh here:
# - nothing to report: the command runs with the container's own stdin, stdout and stderr (nobody reads a copy
#   of its output: no FIFOs, no tee), and its exit code is written in place (`wait` in sh reads it again if it
#   reads it empty for an instant)
# - otherwise stdout and stderr go to the container's own and, through the FIFOs `.out` and `.err` (init made
#   them; made here when missing), to the files `wait` reads; the exit code is written last and atomically
# Either way: signals forwarded to the command and the FIFO `.exited` woken; with a Node.js `wait` (something to
# report), its `signal` file obeyed.
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
# fifos PATH… (beside this file, as dist/bin.js is)
. "${bin%/dist/bin.js}/argoexec-lib.sh"
d="${FLOTILLA_POD_ROOT:-}/var/run/argo/ctr/${ARGO_CONTAINER_NAME:-main}"
[ -d "$d" ] || mkdir -p "$d" || exit 1
# the command keeps the container's stdin (an asynchronous command's would be /dev/null)
exec 3<&0
if [ "$nothing" = true ]; then
  "$@" <&3 3<&- &
  pid=$!
else
  fifos "$d/.out" "$d/.err" || exit 1
  tee "$d/stdout" <"$d/.out" 3<&- &
  tout=$!
  tee "$d/stderr" <"$d/.err" >&2 3<&- &
  terr=$!
  "$@" <&3 3<&- >"$d/.out" 2>"$d/.err" &
  pid=$!
fi
exec 3<&-
for s in TERM INT HUP QUIT USR1 USR2; do trap "kill -$s $pid 2>/dev/null" "$s"; done
# Node.js `wait` asks for a signal (deadline, stop) through the `signal` file; the sh `wait` of a pod with
# nothing to report never does (that pod is stopped by the node agent's SIGTERM, forwarded above): no poller
poller=
if [ "$nothing" != true ]; then
  (
    while sleep 0.5; do
      if [ -f "$d/signal" ]; then
        n=
        read -r n <"$d/signal"
        rm -f "$d/signal"
        kill "-$n" "$pid" 2>/dev/null
      fi
    done
  ) </dev/null >/dev/null 2>&1 &
  poller=$!
fi
while :; do
  wait "$pid"
  code=$?
  kill -0 "$pid" 2>/dev/null || break
done
[ -z "$poller" ] || kill "$poller" 2>/dev/null
if [ "$nothing" = true ]; then
  printf '%s' "$code" >"$d/exitcode"
else
  wait "$tout" "$terr"
  rm -f "$d/.out" "$d/.err"
  printf '%s' "$code" >"$d/.exitcode" && mv -f "$d/.exitcode" "$d/exitcode"
fi
# wake `wait` (read-write: with no reader the line is dropped, nothing blocks)
if [ -p "$d/.exited" ]; then exec 4<>"$d/.exited" && echo >&4; exec 4>&-; fi
exit "$code"
