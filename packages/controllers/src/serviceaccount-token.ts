/**
 * The ServiceAccount token controller (kube-controller-manager's "serviceaccount-token"): a Secret of
 * type `kubernetes.io/service-account-token` annotated `kubernetes.io/service-account.name: NAME` is
 * filled in with a long-lived token for that ServiceAccount, as the Kubernetes documentation
 * ("Manually create a long-lived API token for a ServiceAccount") describes:
 *  - `data.token`: a token the API server accepts as `system:serviceaccount:NS:NAME`;
 *  - `data.ca.crt`: the cluster's CA bundle, `data.namespace`: the Secret's namespace;
 *  - the annotation `kubernetes.io/service-account.uid`: the ServiceAccount's uid.
 * The token is asked from the API server's TokenRequest API (`serviceaccounts/NAME/token`), bound to
 * the Secret (its name and uid) and valid for 2^32 seconds: deleting the Secret — or the
 * ServiceAccount — revokes it, which the API server checks on every use.
 *
 * Clean-up, as Kubernetes' control plane does it:
 *  - deleting a ServiceAccount deletes the token Secrets that name it;
 *  - a Secret whose `service-account.uid` annotation names another ServiceAccount than the one of
 *    that name now (deleted, then recreated) is deleted;
 *  - a Secret naming a ServiceAccount that does not exist is kept for `missingAccountGraceMs` after
 *    its creation (the ServiceAccount may be created right after it, e.g. by the same
 *    `kubectl apply`), then deleted — the documentation asks for the ServiceAccount to exist first.
 *
 * A token already in the Secret is kept while it is bound to this Secret and ServiceAccount (the
 * uids in its claims); anything else there (a copy restored from elsewhere, an empty value) is
 * replaced by a new token. The API server accepts such a Secret's own token only while the Secret
 * holds it (auth.ts: "the server's copy"), so a replaced token stops working.
 */
import { isConflict, isNotFound, R, type Informer } from '@flotilla/kube-runtime';
import { Controller, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import { isTerminating, parseTime, type Obj } from './util.js';

export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
/**
 * The lifetime asked for (the most TokenRequest allows): these tokens end with their Secret. The API
 * server recognises a token Secret's own token by it (apiserver auth.ts SECRET_TOKEN_SECONDS).
 */
export const SECRET_TOKEN_SECONDS = 2 ** 32;
/** A token kept in a Secret must stay valid at least this much longer (else it is replaced). */
const MIN_REMAINING_MS = 365 * 24 * 3600_000;

export interface ServiceAccountTokenOptions {
  /** the CA bundle written as `ca.crt` (default: the kubeconfig's cluster CA) */
  caPem?: string;
  /** how long a Secret naming a missing ServiceAccount waits for it before it is deleted (default 15 s) */
  missingAccountGraceMs?: number;
}

/** The claims of a JWT, unverified (the API server verifies tokens; this only recognises its own). */
export function tokenClaims(token: string): Record<string, any> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const c = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return c && typeof c === 'object' && !Array.isArray(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `token` is one this controller would keep in `secret` for the ServiceAccount `sa`. */
export function tokenFits(token: string | undefined, secret: Obj, sa: Obj, nowMs: number): boolean {
  if (!token) return false;
  const k = tokenClaims(token)?.['kubernetes.io'];
  const exp = tokenClaims(token)?.exp;
  return (
    !!k &&
    k.namespace === secret.metadata?.namespace &&
    k.serviceaccount?.name === sa.metadata?.name &&
    k.serviceaccount?.uid === sa.metadata?.uid &&
    k.secret?.name === secret.metadata?.name &&
    k.secret?.uid === secret.metadata?.uid &&
    (exp === undefined || (typeof exp === 'number' && exp * 1000 - nowMs > MIN_REMAINING_MS))
  );
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : undefined);

export class ServiceAccountTokenController extends Controller {
  readonly secretInf: Informer<Obj>;
  readonly saInf: Informer<Obj>;
  private readonly caPem?: string;
  private readonly graceMs: number;

  constructor(ctx: ControllerContext, opts: ServiceAccountTokenOptions = {}) {
    super('serviceaccount-token-controller', ctx, 2);
    this.caPem = opts.caPem ?? ctx.client.caPem;
    this.graceMs = opts.missingAccountGraceMs ?? 15_000;
    this.secretInf = ctx.informers.for<Obj>(R.secrets, { fieldSelector: `type=${SA_TOKEN_TYPE}` });
    this.saInf = ctx.informers.for<Obj>(R.serviceaccounts);
    this.watch(this.secretInf);
    // a ServiceAccount created or deleted: the Secrets that name it
    const bySa = (sa: Obj) => {
      const ns = sa.metadata?.namespace;
      for (const s of this.secretInf.list(ns)) if (s.metadata?.annotations?.[SA_NAME_ANNOTATION] === sa.metadata?.name) this.enqueue(s);
    };
    this.saInf.on({ add: bySa, delete: bySa, update: (a, b) => a.metadata?.uid !== b.metadata?.uid && bySa(b) });
  }

  protected primary(): Informer {
    return this.secretInf as Informer;
  }

  /** The ServiceAccount `name` now: from the cache, or asked from the server when the cache has no such one. */
  private async account(ns: string, name: string, uid: string | undefined): Promise<Obj | undefined> {
    const cached = this.saInf.get(ns, name);
    if (cached && (!uid || cached.metadata?.uid === uid)) return cached;
    try {
      return await this.ctx.client.get<Obj>(R.serviceaccounts, ns, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async remove(secret: Obj, why: string): Promise<void> {
    const m = secret.metadata!;
    this.log(`deleting Secret ${m.namespace}/${m.name}: ${why}`);
    await this.ctx.client.delete(R.secrets, m.namespace, m.name!, { uid: m.uid }).catch((e) => {
      // gone already, or replaced by another one of that name (the precondition failed)
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const secret = this.secretInf.get(ns, name);
    if (!secret || secret.type !== SA_TOKEN_TYPE || isTerminating(secret)) return;
    const ann = secret.metadata?.annotations ?? {};
    const saName = ann[SA_NAME_ANNOTATION];
    if (!saName) return;
    const wantUid = ann[SA_UID_ANNOTATION] || undefined;
    const sa = await this.account(ns, saName, wantUid);

    if (!sa) {
      if (wantUid) return this.remove(secret, `its ServiceAccount ${saName} (uid ${wantUid}) was deleted`);
      const age = this.ctx.clock.now().getTime() - (parseTime(secret.metadata?.creationTimestamp) ?? 0);
      if (age < this.graceMs) return { requeueAfter: this.graceMs - age };
      return this.remove(secret, `ServiceAccount ${saName} does not exist (create the ServiceAccount before its token Secret)`);
    }
    if (wantUid && sa.metadata?.uid !== wantUid) return this.remove(secret, `ServiceAccount ${saName} was replaced (uid ${wantUid} → ${sa.metadata?.uid})`);

    const data: Record<string, string> = { ...((secret.data as Record<string, string> | undefined) ?? {}) };
    let changed = false;
    const set = (k: string, v: string) => {
      if (unb64(data[k]) === v) return;
      data[k] = b64(v);
      changed = true;
    };
    if (this.caPem) set('ca.crt', this.caPem);
    set('namespace', ns);
    if (!tokenFits(unb64(data.token), secret, sa, this.ctx.clock.now().getTime())) {
      const tr = await this.ctx.client.createSub<{ status?: { token?: string } }>(R.serviceaccounts, ns, saName, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: SECRET_TOKEN_SECONDS, boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name, uid: secret.metadata?.uid } },
      });
      const token = tr?.status?.token;
      if (!token) throw new Error(`TokenRequest for ServiceAccount ${ns}/${saName} answered without a token`);
      set('token', token);
    }
    const annotations = { ...ann };
    if (annotations[SA_UID_ANNOTATION] !== sa.metadata?.uid) {
      annotations[SA_UID_ANNOTATION] = sa.metadata!.uid!;
      changed = true;
    }
    if (!changed) return;
    // a conflict (the Secret changed meanwhile) is retried from the fresh cache by the queue
    await this.ctx.client.update(R.secrets, { ...secret, metadata: { ...secret.metadata, annotations }, data });
  }
}
