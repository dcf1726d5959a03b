# Functions shared by argoexec.sh and argoexec-launcher.sh (sourced with `.`: no process).

# fifos PATH…: makes the FIFOs among PATH… that are not FIFOs yet, with one mkfifo (none when all are: a FIFO
# holds no data once nobody has it open, so one is reused as is); a file of another kind in the way is removed
fifos() {
  for _f do
    shift
    [ -p "$_f" ] && continue
    if [ -e "$_f" ] || [ -h "$_f" ]; then rm -f "$_f"; fi
    set -- "$@" "$_f"
  done
  [ "$#" -eq 0 ] || mkfifo "$@"
}
