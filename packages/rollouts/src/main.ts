/** Entry point (skeleton): Argo Rollouts' controller: Rollout, AnalysisTemplate/AnalysisRun, Experiment; canary and blue-green. */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`@flotilla/rollouts/main: not built yet (${argv.join(" ")})\n`);
  return 1;
}
