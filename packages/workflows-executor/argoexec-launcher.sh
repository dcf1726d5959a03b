# Its variables are prefixed `_argo_`: the user's command inherits the container's environment, and a variable
# of the same name there would otherwise be overwritten for it.
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
if [ "$1" != emissary ]; then exec "$_argo_node" "$_argo_bin" "$@"; fi
shift
[ "$1" = -- ] && shift
# a program this sh cannot find (an image's own program name, a missing one): the Node.js emissary
# resolves it as the node agent does, or reports it
case "$1" in
  '') exec "$_argo_node" "$_argo_bin" emissary -- "$@" ;;
  */*) [ -f "$1" ] && [ -x "$1" ] || exec "$_argo_node" "$_argo_bin" emissary -- "$@" ;;
  *) command -v "$1" >/dev/null 2>&1 || exec "$_argo_node" "$_argo_bin" emissary -- "$@" ;;
esac
# fifos PATH… (beside this file, as dist/bin.js is)
. "${_argo_bin%/dist/bin.js}/argoexec-lib.sh"
_argo_d="${FLOTILLA_POD_ROOT:-}/var/run/argo/ctr/${ARGO_CONTAINER_NAME:-main}"
[ -d "$_argo_d" ] || mkdir -p "$_argo_d" || exit 1
# the command keeps the container's stdin (an asynchronous command's would be /dev/null)
exec 3<&0
if [ "$_argo_nothing" = true ]; then
  "$@" <&3 3<&- &
  _argo_pid=$!
else
  fifos "$_argo_d/.out" "$_argo_d/.err" || exit 1
  tee "$_argo_d/stdout" <"$_argo_d/.out" 3<&- &
  _argo_tout=$!
  tee "$_argo_d/stderr" <"$_argo_d/.err" >&2 3<&- &
  _argo_terr=$!
  "$@" <&3 3<&- >"$_argo_d/.out" 2>"$_argo_d/.err" &
  _argo_pid=$!
fi
exec 3<&-
for _argo_s in TERM INT HUP QUIT USR1 USR2; do trap "kill -$_argo_s $_argo_pid 2>/dev/null" "$_argo_s"; done
# Node.js `wait` asks for a signal (deadline, stop) through the `signal` file; the sh `wait` of a pod with
# nothing to report never does (that pod is stopped by the node agent's SIGTERM, forwarded above): no poller
_argo_poller=
if [ "$_argo_nothing" != true ]; then
  (
    while sleep 0.5; do
      if [ -f "$_argo_d/signal" ]; then
        _argo_n=
        read -r _argo_n <"$_argo_d/signal"
        rm -f "$_argo_d/signal"
        kill "-$_argo_n" "$_argo_pid" 2>/dev/null
      fi
    done
  ) </dev/null >/dev/null 2>&1 &
  _argo_poller=$!
fi
while :; do
  wait "$_argo_pid"
  _argo_code=$?
  kill -0 "$_argo_pid" 2>/dev/null || break
done
[ -z "$_argo_poller" ] || kill "$_argo_poller" 2>/dev/null
if [ "$_argo_nothing" = true ]; then
  printf '%s' "$_argo_code" >"$_argo_d/exitcode"
else
  wait "$_argo_tout" "$_argo_terr"
  rm -f "$_argo_d/.out" "$_argo_d/.err"
  printf '%s' "$_argo_code" >"$_argo_d/.exitcode" && mv -f "$_argo_d/.exitcode" "$_argo_d/exitcode"
fi
# wake `wait` (read-write: with no reader the line is dropped, nothing blocks)
if [ -p "$_argo_d/.exited" ]; then exec 4<>"$_argo_d/.exited" && echo >&4; exec 4>&-; fi
exit "$_argo_code"
