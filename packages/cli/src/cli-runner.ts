/**
 * What a `<data-dir>/bin/<cli>` launcher runs (see clis.ts): `node cli-runner.js <module URL> args…`.
 * It imports nothing but the CLI's module (no clis.js and its fs/url graph): every millisecond here is
 * paid by each `argocd …` command line.
 */
async function runCliModule(url: string, argv: string[]): Promise<number> {
  const m = (await import(url)) as { main?: (argv: string[]) => Promise<number | void> | number | void };
  if (typeof m.main !== 'function') throw new Error(`${url} exports no main(argv)`);
  const code = await m.main(argv);
  return typeof code === 'number' ? code : 0;
}

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
