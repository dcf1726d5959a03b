/**
 * `argo-events <command>` — Argo Events' one binary, as upstream's image runs it:
 *   controller          the controller-manager (EventBus, EventSource, Sensor controllers)
 *   webhook-service     the validating admission webhook (events-webhook)
 *   eventsource-service the EventSource runtime (@flotilla/events-runtime/eventsource)
 *   sensor-service      the Sensor runtime (@flotilla/events-runtime/sensor)
 */
import { runController } from './manager.js';
import { runWebhook } from './webhook.js';

const HELP = `Argo Events' programs.

Usage:
  argo-events controller [--namespaced] [--managed-namespace NS] [--leader-elect]
  argo-events webhook-service
  argo-events eventsource-service
  argo-events sensor-service

Environment (as upstream's install manifests pass it): ARGO_EVENTS_IMAGE, NAMESPACE, PORT (webhook).
`;

async function runtime(specifier: string, argv: string[]): Promise<number> {
  const m = (await import(specifier)) as { main?: (argv: string[]) => Promise<number | void> };
  if (typeof m.main !== 'function') throw new Error(`${specifier} exports no main(argv)`);
  return (await m.main(argv)) ?? 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'controller':
      return runController(rest);
    case 'webhook-service':
      return runWebhook(rest);
    case 'eventsource-service':
      return runtime('@flotilla/events-runtime/eventsource', rest);
    case 'sensor-service':
      return runtime('@flotilla/events-runtime/sensor', rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return cmd === undefined ? 1 : 0;
    default:
      process.stderr.write(`argo-events: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}
