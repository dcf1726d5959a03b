/**
 * argo-server's archiver: with `persistence.archive: true`, every completed workflow (label
 * `workflows.argoproj.io/completed=true`) matching `archiveLabelSelector` and not yet marked
 * `workflows.argoproj.io/workflow-archiving-status=Archived` is written to the archive, then marked. The
 * controller may do the same (archiveWorkflow is an idempotent upsert by uid), whichever sees it first.
 */
import { InformerFactory, type KubeClient, type Informer } from '@flotilla/kube-runtime';
import type { Archive } from './archive/index.js';
import { fromLabelSelector, matchLabels } from './fields.js';
import { AR, LABEL } from './resources.js';
import type { Logger } from './log.js';

export class Archiver {
  private readonly factory: InformerFactory;
  private readonly inf: Informer<any>;
  private readonly busy = new Set<string>();

  constructor(private readonly kube: KubeClient, private readonly archive: Archive, private readonly log: Logger, namespace: string | undefined, instanceId?: string) {
    this.factory = new InformerFactory(kube, { namespace, log: (m) => log.debug(m) });
    const sel = [`${LABEL.completed}=true`, `${LABEL.archivingStatus}!=Archived`, instanceId ? `${LABEL.controllerInstanceId}=${instanceId}` : `!${LABEL.controllerInstanceId}`];
    this.inf = this.factory.for(AR.workflows, { labelSelector: sel.join(',') });
    this.inf.on({ add: (o) => this.consider(o), update: (_o, n) => this.consider(n) });
  }

  start(): void {
    this.factory.start();
  }

  private consider(wf: any): void {
    const key = `${wf.metadata.namespace}/${wf.metadata.name}`;
    if (this.busy.has(key)) return;
    const reqs = fromLabelSelector(this.archive.persistence.archiveLabelSelector);
    if (!matchLabels(reqs, wf.metadata.labels)) return;
    this.busy.add(key);
    void this.run(wf).finally(() => this.busy.delete(key));
  }

  private async run(wf: any): Promise<void> {
    try {
      await this.archive.archive(wf);
      await this.kube.patch(AR.workflows, wf.metadata.namespace, wf.metadata.name, { metadata: { labels: { [LABEL.archivingStatus]: 'Archived' } } });
      this.log.info('archived workflow', { namespace: wf.metadata.namespace, name: wf.metadata.name, uid: wf.metadata.uid });
    } catch (e) {
      this.log.warn('archiving a workflow failed (retried in 10 s)', { namespace: wf.metadata.namespace, name: wf.metadata.name, error: (e as Error).message });
      const t = setTimeout(() => {
        const cur = this.inf.get(wf.metadata.namespace, wf.metadata.name);
        if (cur && !this.stopped) this.consider(cur);
      }, 10_000);
      t.unref();
    }
  }

  private stopped = false;

  async stop(): Promise<void> {
    this.stopped = true;
    await this.factory.stop();
  }
}
