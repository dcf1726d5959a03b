import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, type Obj } from './model.js';
import { renderConfig } from './render.js';
import { NGINX_BINARY } from './nginx.js';
import { parseFlags } from './main.js';

const ing = (name: string, rules: { host?: string; path: string; pathType?: string; svc: string; port?: number }[], annotations: Record<string, string> = {}, extra: any = {}): Obj => ({
  metadata: { name, namespace: 'demo', annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v])), creationTimestamp: `2026-12-05T10:00:0${name.length % 10}Z` },
  spec: {
    ingressClassName: 'nginx',
    rules: rules.map((r) => ({ host: r.host, http: { paths: [{ path: r.path, pathType: r.pathType ?? 'Prefix', backend: { service: { name: r.svc, port: { number: r.port ?? 80 } } } }] } })),
    ...extra,
  },
});
const svc = (name: string): [string, Obj] => [`demo/${name}`, { metadata: { name, namespace: 'demo' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } }];
const eps = (name: string, ips: string[]): [string, Obj] => [`demo/${name}`, { metadata: { name, namespace: 'demo' }, subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] }];

const sources = (ingresses: Obj[]) => ({
  ingresses,
  services: new Map([svc('stable'), svc('canary')]),
  endpoints: new Map([eps('stable', ['10.244.0.5', '10.244.0.6']), eps('canary', ['10.244.0.7'])]),
  secrets: new Map<string, Obj>(),
});
const opts = { dir: '/tmp/x', httpPort: 8080, httpsPort: 8443 };

test('model: paths resolve to pod addresses; a canary Ingress shadows the main location', () => {
  const m = buildModel(sources([ing('main', [{ host: 'demo.local', path: '/', svc: 'stable' }]), ing('canary', [{ host: 'demo.local', path: '/', svc: 'canary' }], { canary: 'true', 'canary-weight': '20', 'canary-by-header': 'X-Canary' })]));
  assert.deepEqual(m.warnings, []);
  assert.equal(m.servers.length, 1);
  const loc = m.servers[0].locations[0];
  assert.deepEqual(loc.backend, { name: 'demo-stable-80', servers: ['10.244.0.5:8080', '10.244.0.6:8080'] });
  assert.deepEqual({ ...loc.canary, backend: loc.canary!.backend.name }, { backend: 'demo-canary-80', weight: 20, total: 100, header: 'X-Canary', headerValue: undefined, headerPattern: undefined, ingress: 'demo/canary' });
});

test('model: warnings for a missing Service, a canary without main', () => {
  const m = buildModel(sources([ing('a', [{ path: '/x', svc: 'nope' }]), ing('c', [{ path: '/y', svc: 'canary' }], { canary: 'true' })]));
  assert.match(m.warnings.join('\n'), /service demo\/nope not found/);
  assert.match(m.warnings.join('\n'), /no main Ingress to shadow/);
});

test('render: upstreams, pathType matchers, split_clients and header map', () => {
  const m = buildModel(
    sources([
      ing('main', [{ host: 'demo.local', path: '/', svc: 'stable' }, { host: 'demo.local', path: '/api', pathType: 'Exact', svc: 'stable' }, { host: 'demo.local', path: '/app', svc: 'stable' }]),
      ing('canary', [{ host: 'demo.local', path: '/', svc: 'canary' }], { canary: 'true', 'canary-weight': '20', 'canary-by-header': 'X-Canary' }),
      ing('rw', [{ host: 'rw.local', path: '/something(/|$)(.*)', pathType: 'ImplementationSpecific', svc: 'stable' }], { 'rewrite-target': '/$2', 'backend-protocol': 'HTTPS' }),
    ]),
  );
  const { conf } = renderConfig(m, opts);
  assert.match(conf, /upstream upstream_demo-stable-80 \{\n\s+server 10\.244\.0\.5:8080 max_fails=0;\n\s+server 10\.244\.0\.6:8080 max_fails=0;\n\s+\}/);
  assert.match(conf, /split_clients "\$\{request_id\}" \$ingress_split_0 \{\n\s+20% "upstream_demo-canary-80";\n\s+\* "upstream_demo-stable-80";\n\s+\}/);
  assert.match(conf, /map \$http_x_canary \$ingress_target_0 \{\n\s+"always" "upstream_demo-canary-80";\n\s+"never" "upstream_demo-stable-80";\n\s+default \$ingress_split_0;\n\s+\}/);
  assert.match(conf, /location = \/api \{/);
  assert.match(conf, /location \/app\/ \{[^}]*proxy_pass http:\/\/upstream_demo-stable-80;/);
  assert.match(conf, /location = \/app \{/);
  assert.match(conf, /location \/ \{[^}]*proxy_pass http:\/\/\$ingress_target_0;/);
  assert.match(conf, /location ~\* "\^\/something\(\/\|\$\)\(\.\*\)" \{[^}]*rewrite "\(\?i\)\/something\(\/\|\$\)\(\.\*\)" "\/\$2" break;[^}]*proxy_pass https:\/\/upstream_demo-stable-80;/);
});

test('render: canary-weight-total, header value, weight 0 and 100', () => {
  const mk = (a: Record<string, string>) => renderConfig(buildModel(sources([ing('main', [{ path: '/', svc: 'stable' }]), ing('canary', [{ path: '/', svc: 'canary' }], { canary: 'true', ...a })])), opts).conf;
  assert.match(mk({ 'canary-weight': '1', 'canary-weight-total': '8' }), /12\.5% "upstream_demo-canary-80";/);
  assert.match(mk({ 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes' }), /map \$http_x_canary \$ingress_target_0 \{\n\s+"yes" "upstream_demo-canary-80";\n\s+default "upstream_demo-stable-80";/);
  assert.match(mk({ 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '^(beta|qa)-' }), /map \$http_x_canary \$ingress_target_0 \{\n\s+"~\^\(beta\|qa\)-" "upstream_demo-canary-80";\n\s+default "upstream_demo-stable-80";/);
  // the value wins over the pattern, as in ingress-nginx
  assert.doesNotMatch(mk({ 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes', 'canary-by-header-pattern': 'x' }), /"~x"/);
  assert.doesNotMatch(mk({ 'canary-weight': '0' }), /split_clients/);
  assert.match(mk({ 'canary-weight': '100' }), /proxy_pass http:\/\/upstream_demo-canary-80;/);
});

test('render: real nginx accepts the configuration (nginx -t), with TLS and no-endpoint backends', { skip: NGINX_BINARY === 'nginx' && 'nginx not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingress-render-'));
  try {
    for (const d of ['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'certs']) mkdirSync(join(dir, d));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=demo.local', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const src = sources([
      ing('main', [{ host: 'demo.local', path: '/', svc: 'stable' }], {}, { tls: [{ hosts: ['demo.local'], secretName: 'demo-tls' }] }),
      ing('canary', [{ host: 'demo.local', path: '/', svc: 'canary' }], { canary: 'true', 'canary-weight': '20', 'canary-by-header': 'X-Canary' }),
      ing('empty', [{ host: 'empty.local', path: '/', svc: 'nothing' }]),
      ing('pmain', [{ host: 'pattern.local', path: '/', svc: 'stable' }]),
      ing('pcanary', [{ host: 'pattern.local', path: '/', svc: 'canary' }], { canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '^(beta|qa)-[0-9]+$' }),
    ]);
    src.services.set('demo/nothing', { metadata: { name: 'nothing', namespace: 'demo' }, spec: { ports: [{ port: 80 }] } });
    const m = buildModel(src);
    const certs = { 'certs/demo-demo-tls.pem': execFileSync('cat', [join(dir, 'c.pem'), join(dir, 'k.pem')]).toString() };
    const r = renderConfig(m, { ...opts, dir }, certs);
    for (const [f, t] of Object.entries(r.files)) writeFileSync(join(dir, f), t);
    writeFileSync(join(dir, 'nginx.conf'), r.conf);
    assert.match(r.conf, /server_name demo\.local;\n\s+listen 8080;\n\s+set \$ingress_name "";\n\s+listen 8443 ssl;/);
    assert.match(r.conf, /if \(\$scheme = http\) \{ return 308/);
    assert.match(r.conf, /"~\^\(beta\|qa\)-\[0-9\]\+\$" "upstream_demo-canary-80";/);
    assert.match(r.conf, /upstream upstream_demo-nothing-80 \{\n\s+server 127\.0\.0\.1:8181; # no ready endpoints/);
    execFileSync(NGINX_BINARY, ['-t', '-q', '-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flags: upstream ingress-nginx arguments', () => {
  const warned: string[] = [];
  const f = parseFlags(['--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller', '--election-id=ingress-nginx-leader', '--controller-class=k8s.io/ingress-nginx', '--ingress-class=nginx', '--configmap=x/y', '--enable-ssl-passthrough', '--watch-ingress-without-class=true'], (m) => warned.push(m));
  assert.equal(f.publishService, '$(POD_NAMESPACE)/ingress-nginx-controller');
  assert.equal(f.enableSslPassthrough, true);
  assert.equal(f.watchIngressWithoutClass, true);
  assert.deepEqual(warned, ['flag --election-id is not used by this controller; ignored', 'flag --configmap is not used by this controller; ignored']);
});

test('model: --annotations-prefix', () => {
  const canary = ing('canary', [{ path: '/', svc: 'canary' }]);
  canary.metadata.annotations = { 'custom.nginx.org/canary': 'true', 'custom.nginx.org/canary-weight': '30' };
  const m = buildModel(sources([ing('main', [{ path: '/', svc: 'stable' }]), canary]), 'custom.nginx.org');
  assert.equal(m.servers[0].locations[0].canary?.weight, 30);
  assert.equal(buildModel(sources([ing('main', [{ path: '/', svc: 'stable' }]), canary])).servers[0].locations.length, 1);
});
