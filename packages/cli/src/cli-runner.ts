/**
 * What a `<data-dir>/bin/<cli>` launcher runs (see clis.ts): `node cli-runner.js <module URL> args…`.
 */
import { runCliModule } from './clis.js';

const [url, ...argv] = process.argv.slice(2);
runCliModule(url, argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
