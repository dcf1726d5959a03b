/**
 * The node agent's process under `flotilla up` (forked by main.ts with an IPC channel; argv[2]
 * holds the agent's options as JSON). It loads only the node agent.
 */
import { startNodeAgent } from '@flotilla/node-agent';

/**
 * The node agent's process. A clean stop (message from flotilla up) stops the pods too; if
 * flotilla up dies (the IPC channel closes), the pods keep running for the next agent to re-adopt.
 */
async function nodeAgentChild(optsJson: string): Promise<void> {
  const o = JSON.parse(optsJson);
  // the token the API server presents when it proxies logs, exec and port-forward (see main.ts)
  const kubeletToken = process.env.FLOTILLA_KUBELET_TOKEN;
  delete process.env.FLOTILLA_KUBELET_TOKEN;
  if (kubeletToken) o.kubeletTokens = [kubeletToken];
  let agent: Awaited<ReturnType<typeof startNodeAgent>>;
  try {
    agent = await startNodeAgent({ ...o, log: (m: string) => process.stderr.write(`node-agent: ${m}\n`) });
  } catch (e) {
    process.send?.({ t: 'error', message: (e as Error).message });
    process.exit(1);
  }
  let stopping = false;
  const stop = async (keepPods: boolean) => {
    if (stopping) return;
    stopping = true;
    await agent.stop({ keepPods });
    process.exit(0);
  };
  process.on('message', (m: any) => {
    if (m?.t === 'stop') void stop(false);
  });
  process.on('disconnect', () => void stop(true));
  // Ctrl-C reaches the whole process group: flotilla up decides
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void stop(true));
  process.send?.({ t: 'ready', nodeName: agent.nodeName, sandbox: agent.sandbox, network: agent.network });
}

void nodeAgentChild(process.argv[2]);
