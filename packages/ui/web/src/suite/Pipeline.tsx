/**
 * The delivery pipeline of a namespace as one picture (`/pipeline?ns=<ns>&run=<workflow>`): push →
 * EventSource → Sensor → Workflow (phase, steps) → Argo CD Application (sync) → Rollout (step, weight),
 * re-read every 2 s. The chain is `buildPipeline` (src/lib/pipeline.ts) over what the servers serve:
 * argo-server (EventSources, Sensors, the Workflows a sensor created) and argocd-server (Applications; the live Rollout
 * through the app's resource API). The server this page comes from answers its own part. On
 * argocd-server, argo-server's part comes through Argo CD's proxy extension `argo-workflows`
 * (`extensions/argo-workflows/api/v1/…` with the headers naming the chain's Application; `flotilla demo
 * pipeline` configures it) unless an address is typed in. An address typed in (remembered) is called
 * directly, which works when it is the same origin (both behind one ingress) or allows this origin
 * (`argo server --access-control-allow-origin <origin>`).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, homeSection } from '../api';
import { basePath } from '../router';
import { HealthStatus } from '../icons';
import { Link, navigate } from '../router';
import { ARGO_EXTENSION, buildPipeline, extensionRequest, namespaceApplication, SENSOR_LABEL, type PipelineInput, type Stage } from '../../../src/lib/pipeline.js';

const POLL_MS = 2000;
const STATE_ICON: Record<Stage['state'], string> = { ok: 'Healthy', running: 'Progressing', failed: 'Degraded', waiting: 'Suspended', unknown: 'Unknown', unreachable: 'Unknown' };

/** GET from this server (relative; with `headers`, as they are) or another one (absolute base URL, its cookies sent). */
async function get(base: string, path: string, headers?: Record<string, string>): Promise<any> {
  if (!base && headers) {
    const res = await fetch(basePath + path, { headers, credentials: 'same-origin' });
    const text = await res.text();
    if (!res.ok) {
      let msg = text.trim();
      try {
        msg = JSON.parse(text).message ?? msg;
      } catch {
        /* not JSON */
      }
      throw new Error(`${path.split('?')[0]}: ${res.status} ${msg.slice(0, 300)}`);
    }
    return JSON.parse(text);
  }
  if (!base) return api('GET', path);
  let res: Response;
  const url = base.replace(/\/?$/, '/') + path;
  try {
    res = await fetch(url, { credentials: 'include' });
  } catch (e) {
    throw new Error(`${url}: ${(e as Error).message} (is the server up, and does it allow this page's origin ${location.origin}?)`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

export default function Pipeline({ query }: { query: URLSearchParams }) {
  const ns = query.get('ns') || localStorage.getItem('flotilla.pipeline.ns') || 'flotilla-demo';
  const run = query.get('run') ?? undefined;
  const [argoBase, setArgoBase] = useState(() => (homeSection === 'workflows' ? '' : localStorage.getItem('flotilla.pipeline.argo-server') ?? ''));
  const [cdBase, setCdBase] = useState(() => (homeSection === 'applications' ? '' : localStorage.getItem('flotilla.pipeline.argocd-server') ?? ''));
  const argoHere = homeSection === 'workflows';
  const cdHere = homeSection === 'applications';
  const [input, setInput] = useState<PipelineInput>({ ns });
  const [updated, setUpdated] = useState('');
  /** the Application the chain showed last (`namespace/name`): the extension's requests are made on its behalf */
  const chainApp = useRef('');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const e = encodeURIComponent(ns);
    const tick = async () => {
      const next: PipelineInput = { ns, run };
      const cd = cdHere || cdBase ? get(cdBase, 'api/v1/applications') : Promise.reject(new Error("set argocd-server's address above"));
      const argoLists = (base: string, prefix = '', headers?: Record<string, string>) =>
        Promise.all([get(base, `${prefix}api/v1/event-sources/${e}`, headers), get(base, `${prefix}api/v1/sensors/${e}`, headers), get(base, `${prefix}api/v1/workflows/${e}?listOptions.labelSelector=${encodeURIComponent(SENSOR_LABEL)}`, headers)]);
      let argo: Promise<any[]>;
      if (argoHere || argoBase) argo = argoLists(argoBase);
      else if (cdHere) {
        // through argocd-server's proxy extension, on behalf of the namespace's Application
        argo = cd.then((l) => {
          const app = (l?.items ?? []).find((x: any) => `${x.metadata?.namespace}/${x.metadata?.name}` === chainApp.current && x.spec?.destination?.namespace === ns) ?? namespaceApplication(l?.items, ns);
          if (!app) throw new Error(`argo-server is reached through Argo CD's proxy extension ${ARGO_EXTENSION} on behalf of an Application deploying into ${ns}, and there is none: set argo-server's address above`);
          const x = extensionRequest(app);
          return argoLists('', x.prefix, x.headers).catch((err: Error) => {
            throw new Error(`through Argo CD's proxy extension ${ARGO_EXTENSION} (as ${x.headers['Argocd-Application-Name']}): ${err.message} — 'flotilla demo pipeline' configures it; or set argo-server's address above`);
          });
        });
      } else argo = Promise.reject(new Error("set argo-server's address above"));
      const [a, c] = await Promise.allSettled([argo, cd]);
      if (a.status === 'fulfilled') [next.eventSources, next.sensors, next.workflows] = a.value.map((l: any) => l?.items ?? []);
      else next.argoServerNote = (a.reason as Error).message;
      if (c.status === 'fulfilled') next.applications = c.value?.items ?? [];
      else next.argocdServerNote = (c.reason as Error).message;
      // the live Rollouts of the app the chain picked, through the app's resource API
      const appStage = buildPipeline(next).stages.find((s) => s.id === 'application');
      const app = next.applications?.find((x) => x.metadata?.name === appStage?.name && (x.metadata?.namespace ?? '') === appStage?.namespace);
      if (app) chainApp.current = `${app.metadata.namespace}/${app.metadata.name}`;
      if (app) {
        next.rollouts = {};
        for (const r of ((app.status?.resources ?? []) as any[]).filter((x) => x?.kind === 'Rollout')) {
          const q = new URLSearchParams({ appNamespace: app.metadata.namespace, namespace: r.namespace ?? '', resourceName: r.name, group: r.group ?? 'argoproj.io', version: r.version ?? 'v1alpha1', kind: 'Rollout' });
          try {
            next.rollouts[`${r.namespace ?? ''}/${r.name}`] = JSON.parse((await get(cdBase, `api/v1/applications/${encodeURIComponent(app.metadata.name)}/resource?${q}`)).manifest);
          } catch {
            /* not live yet: the chain says so */
          }
        }
      }
      if (stopped) return;
      setInput(next);
      setUpdated(new Date().toLocaleTimeString());
    };
    const loop = () =>
      void tick()
        .catch((err) => setInput({ ns, run, argoServerNote: String(err), argocdServerNote: String(err) }))
        .finally(() => {
          if (!stopped) timer = setTimeout(loop, POLL_MS);
        });
    loop();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [ns, run, argoBase, cdBase]);

  const chain = useMemo(() => buildPipeline(input), [input]);
  const setQuery = (k: string, v: string) => {
    const q = new URLSearchParams(query);
    if (v) q.set(k, v);
    else q.delete(k);
    if (k === 'ns') {
      q.delete('run');
      localStorage.setItem('flotilla.pipeline.ns', v);
    }
    navigate(`pipeline?${q}`, { replace: true });
  };
  const setBase = (which: 'argo-server' | 'argocd-server', v: string) => {
    localStorage.setItem(`flotilla.pipeline.${which}`, v);
    (which === 'argo-server' ? setArgoBase : setCdBase)(v);
  };
  const link = (s: Stage) => {
    if (!s.name) return <span className="muted">—</span>;
    if (!s.route) return <span>{s.name}</span>;
    const here = s.server === 'argo-server' ? argoHere : cdHere;
    if (here) return <Link to={s.route}>{s.name}</Link>;
    const base = s.server === 'argo-server' ? argoBase : cdBase;
    return base ? <a href={base.replace(/\/?$/, '/') + s.route}>{s.name}</a> : <span>{s.name}</span>;
  };

  return (
    <>
      <div className="toolbar">
        <h1>Pipeline</h1>
        <label>Namespace <input type="text" value={ns} onChange={(e) => setQuery('ns', e.target.value)} /></label>
        <label>
          Run{' '}
          <select value={chain.run ?? ''} onChange={(e) => setQuery('run', e.target.value)} disabled={!chain.runs.length}>
            {!chain.runs.length && <option value="">no runs yet</option>}
            {chain.runs.map((r, i) => <option key={r.name} value={r.name}>{`${r.name} — ${r.phase}${r.event ? ` — ${r.event.slice(0, 8)}` : ''}${i === 0 ? ' (latest)' : ''}`}</option>)}
          </select>
        </label>
        <span className="grow" />
        {updated && <span className="muted" role="status">updated {updated}</span>}
      </div>
      {(!argoHere || !cdHere) && (
        <div className="toolbar">
          {!argoHere && <label>argo-server address <input type="url" value={argoBase} placeholder={cdHere ? `through /extensions/${ARGO_EXTENSION}/` : 'https://localhost:2746/'} onChange={(e) => setBase('argo-server', e.target.value)} size={32} /></label>}
          {!cdHere && <label>argocd-server address <input type="url" value={cdBase} placeholder="https://localhost:8080/" onChange={(e) => setBase('argocd-server', e.target.value)} size={32} /></label>}
        </div>
      )}
      <ol className="chain" aria-label="Pipeline chain">
        {chain.stages.map((s, i) => (
          <li key={s.id} className={`stage st-${s.state}`} data-stage={s.id} data-state={s.state}>
            <div className="stage-kind">{s.kind}</div>
            <div className="stage-name">{link(s)}</div>
            <HealthStatus value={STATE_ICON[s.state]} text={s.status} />
            {!!s.details.length && <ul className="stage-details">{s.details.map((d, j) => <li key={j}>{d}</li>)}</ul>}
            {i < chain.stages.length - 1 && <div className="stage-link" title={chain.links[i]}><span aria-hidden="true">→</span> {chain.links[i]?.replace(/^image .*\//, 'image ')}</div>}
          </li>
        ))}
      </ol>
    </>
  );
}
