/**
 * RBAC in the API server, as one object the request path calls: the authorizer, the ClusterRole
 * aggregation controller, the bootstrap policy, impersonation, escalation checks on RBAC writes
 * and the access reviews.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeObject } from '@flotilla/apimachinery';
import type { Objects } from '../objects.js';
import type { ParsedUrl } from '../request.js';
import type { Registry, Served } from '../registry.js';
import type { Store } from '../store.js';
import { Aggregator } from './aggregation.js';
import { RbacAuthorizer, RBAC_GROUP, type Subject } from './authorizer.js';
import { reconcileBootstrapPolicy } from './bootstrap.js';
import { checkEscalation } from './escalation.js';
import { authorizeRequest } from './filter.js';
import { answerReview } from './reviews.js';

export type { Subject } from './authorizer.js';
export { RbacAuthorizer } from './authorizer.js';

export class Rbac {
  readonly authorizer: RbacAuthorizer;
  private aggregator: Aggregator;

  constructor(
    private readonly store: Store,
    private readonly objects: Objects,
    private readonly reg: Registry,
    private readonly log: (m: string) => void = (m) => process.stderr.write(`apiserver: ${m}\n`),
  ) {
    this.authorizer = new RbacAuthorizer(store);
    this.aggregator = new Aggregator(store, objects);
  }

  /** Reconciles the bootstrap roles and bindings, then keeps aggregated ClusterRoles filled. */
  start(): void {
    reconcileBootstrapPolicy(this.store, this.objects, this.reg);
    this.aggregator.start();
  }

  stop(): void {
    this.aggregator.stop();
    this.authorizer.close();
  }

  /** Impersonation and authorization of a request; returns the user it runs as (throws 400/403). */
  admit(req: { method?: string; headers: IncomingHttpHeaders }, url: ParsedUrl, user: Subject): Subject {
    return authorizeRequest(this.authorizer, req, url, user, this.log);
  }

  /** The escalation check for a write by `user` (WriteOptions.check); undefined when nothing needs checking. */
  writeCheck(user: Subject): ((s: Served, ns: string, obj: KubeObject) => void) | undefined {
    if (user.groups.includes('system:masters')) return undefined;
    return (s, ns, obj) => {
      if (s.builtin && s.info.group === RBAC_GROUP) checkEscalation(this.authorizer, this.store, user, s.info.kind, s.info.plural, ns, obj);
    };
  }

  /** SubjectAccessReview & co.; undefined for kinds that are not access reviews. */
  review(s: Served, body: unknown, user: Subject, ns: string): KubeObject | undefined {
    const g = s.info.group;
    const k = s.info.kind;
    const ours = (g === 'authorization.k8s.io' && ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'].includes(k)) || (g === 'authentication.k8s.io' && k === 'SelfSubjectReview');
    if (!ours) return undefined;
    return answerReview(this.authorizer, k, g ? `${g}/${s.info.version}` : s.info.version, body, user, ns);
  }
}
