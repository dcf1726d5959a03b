#!/usr/bin/env node
/** Runs a service as a plain process: `node dist/run.js eventsource-service|sensor-service` (tests; the pods use `argo-events <service>`). */
const [cmd, ...rest] = process.argv.slice(2);
const mod = cmd === 'eventsource-service' ? await import('./eventsource.js') : cmd === 'sensor-service' ? await import('./sensor.js') : undefined;
if (!mod) {
  process.stderr.write('usage: run.js eventsource-service|sensor-service\n');
  process.exit(2);
}
process.exit(await mod.main(rest));
