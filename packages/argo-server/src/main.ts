/** Entry point (skeleton): argo-server: Argo Workflows' API server on 2746 (REST API, auth modes, archive in PostgreSQL). */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/argo-server/main: not built yet (${argv.join(" ")})\n`);
  return 1;
}
