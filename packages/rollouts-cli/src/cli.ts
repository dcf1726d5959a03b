/** Entry point (skeleton): the `kubectl argo rollouts` plugin (kubectl-argo-rollouts) and its dashboard API. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/rollouts-cli/cli: not built yet (${argv.join(" ")})\n`);
  return 1;
}
