/**
 * A leader-election candidate as a process of its own (test fixture for leader.test.ts):
 * `node leader-candidate.fixture.js KUBECONFIG --leader-elect --leader-elect-lease-duration=2s …`,
 * identity from LEADER_ELECTION_IDENTITY / POD_NAME. Prints "leading <id>" / "stopped <id>" / "leader <id>";
 * SIGTERM releases the Lease and exits.
 */
import { KubeClient } from './client.js';
import { LeaderElector, leaderElectionFromArgs } from './leader.js';

const [kubeconfig, ...args] = process.argv.slice(2);
const opts = leaderElectionFromArgs(args);
if (!opts) {
  process.stderr.write('leader election is off (--leader-elect)\n');
  process.exit(2);
}
const client = new KubeClient(kubeconfig);
const say = (m: string): void => void process.stdout.write(`${m}\n`);
const el: LeaderElector = new LeaderElector(client, { namespace: 'default', name: 'fixture', ...opts }, {
  onStartedLeading: () => say(`leading ${el.identity}`),
  onStoppedLeading: () => say(`stopped ${el.identity}`),
  onNewLeader: (id) => say(`leader ${id}`),
  log: (m) => process.stderr.write(`${m}\n`),
});
el.start();
process.on('SIGTERM', () => {
  void el.stop().then(() => {
    client.close();
    process.exit(0);
  });
});
