/**
 * The one-line header of the agent's socket protocols (`IP PORT\n` → `OK\n` | `ERR …\n`): read
 * it without putting the stream into flowing or paused mode, so that whoever takes the stream
 * next (pipe, an HTTP client) sees the bytes after the line.
 */
import type { Socket } from 'node:net';

export function readLine(s: Socket, max = 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const done = (err: Error | null, line?: string) => {
      s.removeListener('readable', onReadable);
      s.removeListener('error', onError);
      s.removeListener('end', onEnd);
      if (err) reject(err);
      else resolve(line!);
    };
    const onError = (e: Error) => done(e);
    const onEnd = () => done(new Error('connection closed before the header line'));
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = s.read() as Buffer | null) !== null) {
        head = Buffer.concat([head, chunk]);
        const nl = head.indexOf(10);
        if (nl >= 0) {
          const rest = head.subarray(nl + 1);
          if (rest.length) s.unshift(rest);
          done(null, head.subarray(0, nl).toString('latin1'));
          return;
        }
        if (head.length > max) {
          s.destroy();
          done(new Error('header line too long'));
          return;
        }
      }
    };
    s.on('readable', onReadable);
    s.on('error', onError);
    s.on('end', onEnd);
  });
}
