/** Entry point (skeleton: being built this session). */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`not built yet (${argv.join(' ')})\n`);
  return 1;
}
