/** A CronWorkflow's next runs (its `schedule` and `schedules`, in its `timezone`), as the Cron workflows page lists them — pure. */
import { Cron } from 'croner';

export function nextRuns(spec: { schedule?: string; schedules?: string[]; timezone?: string } | undefined, n: number, from: Date = new Date()): { runs: Date[]; error?: string } {
  const schedules = [...(spec?.schedules ?? []), ...(spec?.schedule ? [spec.schedule] : [])].filter((s) => typeof s === 'string' && s.trim());
  const runs: Date[] = [];
  for (const s of schedules) {
    try {
      const c = new Cron(s, { timezone: spec?.timezone || undefined, paused: true });
      runs.push(...c.nextRuns(n, from));
    } catch (e) {
      return { runs: [], error: `schedule "${s}"${spec?.timezone ? ` (timezone ${spec.timezone})` : ''}: ${(e as Error).message}` };
    }
  }
  const seen = new Set<number>();
  return { runs: runs.sort((a, b) => a.getTime() - b.getTime()).filter((d) => !seen.has(d.getTime()) && seen.add(d.getTime())).slice(0, n) };
}
