/**
 * Pod networking. `PodNetwork` is what the rest of the agent uses to reach pods: `dial` opens a
 * TCP connection to a pod address and port (probes, `kubectl port-forward`, NodePorts).
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface PodNetwork {
  /** opens a TCP connection to ip:port as seen from the pod network */
  dial(ip: string, port: number): Promise<Duplex>;
}

/** Pods share the host's network namespace: pod addresses are host loopback addresses. */
export class HostNetwork implements PodNetwork {
  dial(ip: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s: Socket = connect({ host: ip, port });
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  }
}
