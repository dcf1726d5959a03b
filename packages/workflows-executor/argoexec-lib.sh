# Functions shared by argoexec.sh and argoexec-launcher.sh (sourced with `.`: no process).

# fifos PATH…: makes the FIFOs among PATH… that are not FIFOs yet, with one mkfifo (none when all are: a FIFO
# holds no data once nobody has it open, so one is reused as is); a file of another kind in the way is removed
fifos() {
  for _argo_f do
    shift
    [ -p "$_argo_f" ] && continue
    if [ -e "$_argo_f" ] || [ -h "$_argo_f" ]; then rm -f "$_argo_f"; fi
    set -- "$@" "$_argo_f"
  done
  [ "$#" -eq 0 ] || mkfifo "$@"
}
