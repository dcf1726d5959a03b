/**
 * Stand-in for the argoproj/argosay image: `argosay [echo [message] [file] | cat FILE… | cp SRC DST |
 * sleep DURATION | exit [CODE] | assert_eq FILE TEXT | assert_contains FILE TEXT]`. `cp` copies one file (its
 * directory made as needed), as upstream's secure-workflow smoke test uses it. The assertions read the
 * file (`echo hello /tmp/f` then `assert_contains /tmp/f hello`, as upstream's tests use them); a first argument
 * that is no file is compared as text.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function duration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)?/g;
  let total = 0;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = re.exec(s))) {
    any = true;
    const n = Number(m[1]);
    const u = m[2] ?? 's';
    total += u === 'ms' ? n : u === 's' ? n * 1000 : u === 'm' ? n * 60_000 : n * 3_600_000;
  }
  if (!any) throw new Error(`invalid duration "${s}"`);
  return total;
}

/** The file's contents when `a` names a file, else `a` itself. */
function contents(a: string | undefined): string {
  if (a && existsSync(a) && statSync(a).isFile()) return readFileSync(a, 'utf8');
  return a ?? '';
}

const [cmd, ...args] = process.argv.slice(2);
switch (cmd) {
  case undefined:
    console.log('hello argo');
    break;
  case 'echo': {
    const msg = args[0] ?? 'hello argo';
    if (args[1]) {
      mkdirSync(dirname(args[1]), { recursive: true });
      writeFileSync(args[1], msg);
    } else console.log(msg);
    break;
  }
  case 'cat':
    for (const f of args) process.stdout.write(readFileSync(f));
    break;
  case 'cp':
    if (args.length !== 2) {
      console.error('usage: argosay cp SRC DST');
      process.exitCode = 1;
      break;
    }
    try {
      mkdirSync(dirname(args[1]!), { recursive: true });
      copyFileSync(args[0]!, args[1]!);
    } catch (e) {
      console.error(`argosay: cp: ${(e as Error).message}`);
      process.exitCode = 1;
    }
    break;
  case 'sleep': {
    const ms = duration(args[0] ?? '1s');
    process.on('SIGTERM', () => process.exit(143));
    setTimeout(() => {}, ms);
    break;
  }
  case 'exit':
    process.exitCode = Number(args[0] ?? 0);
    break;
  case 'assert_eq':
    if (contents(args[0]) !== args[1]) {
      console.error(`assertion failed: "${contents(args[0])}" != "${args[1]}"`);
      process.exitCode = 1;
    }
    break;
  case 'assert_contains':
    if (!contents(args[0]).includes(args[1] ?? '')) {
      console.error(`assertion failed: "${contents(args[0])}" does not contain "${args[1]}"`);
      process.exitCode = 1;
    }
    break;
  default:
    console.error(`argosay: unknown command "${cmd}" (echo, cat, cp, sleep, exit, assert_eq, assert_contains)`);
    process.exitCode = 1;
}
