/** Entry point (skeleton): Argo Events' controller-manager (EventBus, EventSource, Sensor controllers) and validating webhook. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/events/main: not built yet (${argv.join(" ")})\n`);
  return 1;
}
