/**
 * Output of the `argocd` process straight to its file descriptors with write(2), as a Go program
 * writes: no process.stdout / process.stderr stream is made (on a pipe that is a net.Socket and the
 * stream machinery behind it, ~5–15 ms of a command's start on this machine), everything written is
 * out before the process exits, and a closed reader (`argocd … | head -1`) ends the command quietly
 * with status 0, as SIGPIPE ends a Go program.
 *
 * A descriptor that refuses a write for now (EAGAIN: a non-blocking pipe that is full) or fails
 * otherwise hands that text and everything after it to Node's stream, which queues and retries.
 */
import { fs } from '../node-fs.js';

function quietOnEpipe(s: NodeJS.WriteStream): NodeJS.WriteStream {
  s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
  return s;
}

/** A writer of text to fd (1 or 2); `stream` gives the Node stream of that descriptor for the fallback. */
export function fdWriter(fd: number, stream: () => NodeJS.WriteStream): (s: string) => void {
  let fallback: NodeJS.WriteStream | undefined;
  return (s: string) => {
    if (fallback) {
      fallback.write(s);
      return;
    }
    const buf = Buffer.from(s, 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
      fallback = quietOnEpipe(stream());
      fallback.write(buf.subarray(off));
    }
  };
}
