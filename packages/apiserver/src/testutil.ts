/**
 * The kube-runtime test kit bound to this package's API server (the kit itself has no compile-time
 * dependency on the API server): a fresh server in a temp dir, the real kubectl, raw requests.
 */
import { startTestCluster as startKitCluster, type TestCluster as KitCluster } from '@flotilla/kube-runtime/testkit';
import { startApiServer, type ApiServer } from './server.js';

export type TestCluster = KitCluster<ApiServer>;

export function startTestCluster(opts: { dir?: string; port?: number } = {}): Promise<TestCluster> {
  return startKitCluster({ ...opts, start: startApiServer });
}

export { writeTemp, sleep, eventually, readWatch } from '@flotilla/kube-runtime/testkit';
