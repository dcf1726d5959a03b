/** Entry point (skeleton): Argo Events' data plane: the eventsource and sensor services that run in their pods. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/events-runtime/eventsource: not built yet (${argv.join(" ")})\n`);
  return 1;
}
