/** Entry point (skeleton): the `argo` command (Argo Workflows' CLI), talking to argo-server or the Kubernetes API. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/argo-cli/cli: not built yet (${argv.join(" ")})\n`);
  return 1;
}
