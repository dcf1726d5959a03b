/** Entry point (skeleton): argoexec: the executor in every workflow pod (init, wait, emissary, agent, resource, data), artifacts, and the pod builder the controller uses. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/workflows-executor/main: not built yet (${argv.join(" ")})\n`);
  return 1;
}
