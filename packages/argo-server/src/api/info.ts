/** InfoService (info, version, userinfo) and EventService (`POST /api/v1/events/{ns}/{discriminator}`: WorkflowEventBindings). */
import { evaluateArgo } from '@flotilla/expr';
import type { Req, Router } from '../http.js';
import { ApiErr, Code, fromKube } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { AR, LABEL, VERSION } from '../resources.js';
import { kcall } from './common.js';
import { createWorkflow } from './workflows.js';
import { applySubmitOpts, workflowFrom } from '../submit.js';

export function registerInfo(router: Router<Caller>, ctx: Ctx): void {
  router.add('GET', '/api/v1/info', async () => {
    const c = ctx.config();
    const out: Record<string, unknown> = { modals: { feedback: false, firstTimeUser: false, newVersion: false } };
    if (ctx.opts.namespaced) out.managedNamespace = ctx.opts.managedNamespace ?? ctx.opts.namespace;
    if (Array.isArray(c.links)) out.links = c.links;
    if (Array.isArray(c.columns)) out.columns = c.columns;
    if (c.navColor) out.navColor = c.navColor;
    return out;
  });
  router.add('GET', '/api/v1/version', async () => ({
    version: VERSION,
    buildDate: '2026-01-01T00:00:00Z',
    gitCommit: 'flotilla',
    gitTag: VERSION,
    gitTreeState: 'clean',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch}`,
  }));
  router.add('GET', '/api/v1/userinfo', async (r) => {
    if (r.ctx.mode === 'server') return {};
    if (r.ctx.mode === 'sso' && r.ctx.sso) {
      const { user, serviceAccount } = r.ctx.sso;
      const out: Record<string, unknown> = { issuer: user.issuer, subject: user.sub, groups: user.groups, email: user.email, emailVerified: user.email_verified, name: user.name };
      if (serviceAccount) {
        out.serviceAccountName = serviceAccount.name;
        out.serviceAccountNamespace = serviceAccount.namespace;
      }
      return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
    }
    // who the token is: the API server's SelfSubjectReview
    const rev = await kcall(r.ctx.kube.request<any>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }));
    const u = rev?.status?.userInfo ?? {};
    const out: Record<string, unknown> = { subject: u.username, groups: u.groups };
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(u.username ?? '');
    if (m) {
      out.serviceAccountNamespace = m[1];
      out.serviceAccountName = m[2];
    }
    return out;
  });

  // `POST /api/v1/events/{ns}/` (an empty discriminator, as a GitHub webhook posts) routes too
  const receive = async (r: Req<Caller>) => {
    const ns = r.params.namespace!;
    const metadata: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && k !== 'authorization' && k !== 'cookie' && !k.startsWith(':')) metadata[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    const env = { payload: r.body, metadata, discriminator: r.params.discriminator ?? '' };
    // the bindings are read with the server's own client (upstream: its informer); what they do — get the
    // template, create the workflow — with the caller's, so its RBAC decides
    const bindings = (await kcall(ctx.kube.list<any>(AR.eventBindings, ns))).items;
    // each binding on its own, as upstream's dispatch: a broken one is reported (a Warning Event on it) and the
    // others still submit; the answer is an error when any failed
    const errors: string[] = [];
    for (const b of bindings) {
      try {
        await dispatch(r.ctx, ns, b, env);
      } catch (e) {
        const msg = (e as Error).message;
        errors.push(msg);
        ctx.log.error('failed to dispatch from event', { namespace: ns, workflowEventBinding: b.metadata?.name, error: msg });
        ctx.events?.event(b, 'Warning', 'WorkflowEventBindingError', `failed to dispatch event: ${msg}`, { kind: 'WorkflowEventBinding', apiVersion: 'argoproj.io/v1alpha1' });
      }
    }
    if (errors.length) throw new ApiErr(Code.Unknown, `failed to dispatch event: ${errors.join('; ')}`);
    return {};
  };
  router.add('POST', '/api/v1/events/{namespace}/{discriminator}', receive);
  router.add('POST', '/api/v1/events/{namespace}', receive);
}

async function dispatch(caller: Caller, ns: string, b: any, env: Record<string, unknown>): Promise<void> {
  const sel: string = b.spec?.event?.selector ?? '';
  let hit: unknown;
  try {
    // an empty selector: the words of expr-lang's parser (upstream's), which reads no token at all
    if (!sel.trim()) throw new Error('unexpected token EOF (1:1)');
    hit = evaluateArgo(sel, env);
  } catch (e) {
    throw new Error(`failed to evaluate workflow template expression: unable to evaluate expression '${sel}': ${(e as Error).message}`);
  }
  if (hit !== true) return;
  const submit = b.spec?.submit;
  const ref = submit?.workflowTemplateRef;
  if (!ref?.name) throw new Error(`WorkflowEventBinding ${b.metadata.name}: spec.submit.workflowTemplateRef.name is required`);
  const cluster = !!ref.clusterScope;
  let tmpl;
  try {
    tmpl = await caller.kube.get<any>(cluster ? AR.clusterWorkflowTemplates : AR.workflowTemplates, cluster ? undefined : ns, ref.name);
  } catch (e) {
    throw new Error(`failed to get workflow template: ${fromKube(e).message}`);
  }
  const params: string[] = [];
  for (const p of submit.arguments?.parameters ?? []) {
    let v: unknown = p.value;
    if (p.valueFrom?.event) {
      try {
        v = evaluateArgo(p.valueFrom.event, env);
      } catch (e) {
        throw new Error(`failed to evaluate workflow template parameter "${p.name}" expression: unable to evaluate expression '${p.valueFrom.event}': ${(e as Error).message}`);
      }
    }
    if (v === undefined) continue;
    params.push(`${p.name}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  const wf = applySubmitOpts(workflowFrom(cluster ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate', tmpl, ns), { parameters: params });
  wf.metadata.labels = { ...(wf.metadata.labels ?? {}), [LABEL.workflowEventBinding]: b.metadata.name };
  if (submit.metadata?.labels) Object.assign(wf.metadata.labels, submit.metadata.labels);
  if (submit.metadata?.annotations) wf.metadata.annotations = { ...(wf.metadata.annotations ?? {}), ...submit.metadata.annotations };
  try {
    await createWorkflow(caller.kube, ns, wf);
  } catch (e) {
    throw new Error(`failed to create workflow: ${(e as Error).message}`);
  }
}
