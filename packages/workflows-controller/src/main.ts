/** Entry point (skeleton): the workflow-controller. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`workflow-controller: not built yet (${argv.join(" ")})\n`);
  return 1;
}
