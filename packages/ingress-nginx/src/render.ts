/**
 * The routing model rendered as Debian nginx's configuration (pure): one upstream per backend (pod
 * addresses), one server per host, locations by pathType (Exact `=`, Prefix `/p/` + `= /p`,
 * regex `~*` with use-regex/rewrite-target), canary splits with `split_clients` on the request id
 * and header routing with `map`, TLS from Secrets (written as files next to the config), an
 * optional `stream` server for ssl-passthrough (SNI → backend, others → the local TLS server).
 */
import { createHash } from 'node:crypto';
import type { Backend, Location, Model, Server } from './model.js';

export interface RenderOpts {
  /** the directory of the configuration (pid, temp paths, certificates, access.log: a FIFO the controller copies to its stdout) */
  dir: string;
  /** a port, or address:port (tests listen on loopback only) */
  httpPort: number | string;
  httpsPort: number | string;
  /** where the local TLS servers listen when ssl-passthrough owns the https port */
  internalHttpsPort?: number;
  /** the internal 503 server for backends without endpoints */
  noEndpointsPort?: number;
  /** path of ngx_stream_module.so: enables ssl-passthrough */
  streamModule?: string;
  enableSslPassthrough?: boolean;
  /** the default certificate (cert+key PEM file), for TLS hosts without a usable Secret */
  defaultCert?: string;
  /** run workers as this user (only when the master runs as root) */
  user?: string;
  workerProcesses?: number;
}

export interface Rendered {
  conf: string;
  /** files to write (relative to dir): certificates */
  files: Record<string, string>;
  warnings: string[];
  /** identifies the configuration (and certificates): nginx answers it once loaded */
  hash: string;
}

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const upstreamName = (b: Backend) => `upstream_${b.name}`;
const headerVar = (h: string) => `$http_${h.toLowerCase().replace(/-/g, '_')}`;

function locationMatchers(l: Location): string[] {
  if (l.useRegex) return [`~* ${q('^' + l.path)}`];
  if (l.pathType === 'Exact') return [`= ${l.path}`];
  if (l.pathType === 'Prefix') {
    if (l.path === '/') return ['/'];
    const p = l.path.replace(/\/+$/, '');
    return [`${p}/`, `= ${p}`];
  }
  return [l.path];
}

function locationBody(l: Location, target: string, secure: boolean): string[] {
  const lines: string[] = [];
  lines.push(`set $ingress_name ${q(l.ingress)};`);
  if (l.rewriteTarget !== undefined) lines.push(`rewrite ${q('(?i)' + l.path)} ${q(l.rewriteTarget)} break;`);
  const grpc = l.protocol === 'GRPC' || l.protocol === 'GRPCS';
  if (grpc) {
    lines.push(`grpc_set_header Host $host;`, `grpc_set_header X-Request-ID $request_id;`, `grpc_set_header X-Forwarded-For $remote_addr;`);
    lines.push(`grpc_pass ${l.protocol === 'GRPCS' ? 'grpcs' : 'grpc'}://${target};`);
    return lines;
  }
  lines.push(
    'proxy_http_version 1.1;',
    'proxy_set_header Host $host;',
    'proxy_set_header X-Request-ID $request_id;',
    'proxy_set_header X-Real-IP $remote_addr;',
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Forwarded-Host $host;',
    `proxy_set_header X-Forwarded-Proto ${secure ? 'https' : '$scheme'};`,
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $connection_upgrade;',
    'proxy_next_upstream error timeout;',
  );
  lines.push(`proxy_pass ${l.protocol === 'HTTPS' ? 'https' : 'http'}://${target};`);
  return lines;
}

/** `certs`: the certificate files of the TLS Secrets (certFiles), written with the config. */
export function renderConfig(model: Model, o: RenderOpts, certs: Record<string, string> = {}): Rendered {
  const warnings = [...model.warnings];
  const files: Record<string, string> = { ...certs };
  const passthrough = !!(o.enableSslPassthrough && o.streamModule);
  const tlsPort = passthrough ? `127.0.0.1:${o.internalHttpsPort ?? 442}` : String(o.httpsPort);
  const none = o.noEndpointsPort ?? 8181;
  const out: string[] = [];
  if (passthrough) out.push(`load_module ${o.streamModule};`);
  if (o.user) out.push(`user ${o.user};`);
  out.push(`worker_processes ${o.workerProcesses ?? 1};`, 'daemon off;', `pid ${o.dir}/nginx.pid;`, 'error_log stderr notice;', 'events {', '    worker_connections 4096;', '}', 'http {');
  const http: string[] = [
    'default_type application/octet-stream;',
    "log_format upstreaminfo '$remote_addr - [$time_local] \"$request\" $status $body_bytes_sent \"$http_user_agent\" $request_time [$ingress_name] $upstream_addr $upstream_status $request_id';",
    `access_log ${o.dir}/access.log upstreaminfo;`,
    `client_body_temp_path ${o.dir}/client-body;`,
    `proxy_temp_path ${o.dir}/proxy;`,
    `fastcgi_temp_path ${o.dir}/fastcgi;`,
    `uwsgi_temp_path ${o.dir}/uwsgi;`,
    `scgi_temp_path ${o.dir}/scgi;`,
    'server_names_hash_bucket_size 128;',
    'map_hash_bucket_size 128;',
    'proxy_ssl_server_name on;',
    'map $http_upgrade $connection_upgrade {',
    "    default upgrade;",
    "    '' close;",
    '}',
    'server {',
    `    listen 127.0.0.1:${none};`,
    '    set $ingress_name "";',
    '    location = /configuration-hash { access_log off; return 200 "@CONFIGURATION_HASH@"; }',
    '    location / { return 503; }',
    '}',
  ];
  for (const b of model.backends) {
    http.push(`upstream ${upstreamName(b)} {`);
    if (b.servers.length) for (const s of b.servers) http.push(`    server ${s} max_fails=0;`);
    else http.push(`    server 127.0.0.1:${none}; # no ready endpoints`);
    http.push('}');
  }
  // canary splits and header routes: one variable per location with a canary
  let n = 0;
  const targets = new Map<Location, string>();
  for (const s of model.servers) {
    for (const l of s.locations) {
      if (!l.canary) {
        targets.set(l, upstreamName(l.backend));
        continue;
      }
      const id = n++;
      const main = upstreamName(l.backend);
      const canary = upstreamName(l.canary.backend);
      const pct = Math.round((l.canary.weight * 10000) / l.canary.total) / 100;
      let fallback = q(main);
      if (pct >= 100) fallback = q(canary);
      else if (pct > 0) {
        http.push(`split_clients "\${request_id}" $ingress_split_${id} {`, `    ${pct}% ${q(canary)};`, `    * ${q(main)};`, '}');
        fallback = `$ingress_split_${id}`;
      }
      if (l.canary.header) {
        http.push(`map ${headerVar(l.canary.header)} $ingress_target_${id} {`);
        if (l.canary.headerValue !== undefined) http.push(`    ${q(l.canary.headerValue)} ${q(canary)};`);
        // a quoted source starting with ~ is a (case-sensitive, unanchored) regex, as ingress-nginx matches the pattern
        else if (l.canary.headerPattern !== undefined) http.push(`    ${q(`~${l.canary.headerPattern}`)} ${q(canary)};`);
        else http.push(`    "always" ${q(canary)};`, `    "never" ${q(main)};`);
        http.push(`    default ${fallback};`, '}');
        targets.set(l, `$ingress_target_${id}`);
      } else targets.set(l, fallback.startsWith('$') ? fallback : fallback.slice(1, -1));
    }
  }
  const certOf = (s: Server): string | undefined => {
    if (s.tlsSecret === undefined) return undefined;
    if (s.tlsSecret) {
      const file = `certs/${s.tlsSecret.replace('/', '-')}.pem`;
      if (files[file] !== undefined) return `${o.dir}/${file}`;
    }
    if (o.defaultCert) return o.defaultCert;
    warnings.push(`${s.host}: no certificate (secret ${s.tlsSecret || 'not named'} and no default certificate): TLS not served`);
    return undefined;
  };
  const hasDefault = model.servers.some((s) => s.host === '_');
  const servers = hasDefault ? model.servers : [...model.servers, { host: '_', locations: [], sslRedirect: false } as Server];
  for (const s of servers) {
    const cert = certOf(s);
    const dflt = s.host === '_' ? ' default_server' : '';
    http.push('server {', `    server_name ${s.host};`, `    listen ${o.httpPort}${dflt};`, '    set $ingress_name "";');
    const tlsCert = cert ?? (s.host === '_' ? o.defaultCert : undefined);
    if (tlsCert) http.push(`    listen ${tlsPort} ssl${dflt};`, `    ssl_certificate ${tlsCert};`, `    ssl_certificate_key ${tlsCert};`);
    if (cert && s.sslRedirect) http.push('    if ($scheme = http) { return 308 https://$host$request_uri; }');
    const locs = [...s.locations].sort((a, b) => b.path.length - a.path.length);
    for (const l of locs) {
      for (const m of locationMatchers(l)) {
        http.push(`    location ${m} {`);
        for (const line of locationBody(l, targets.get(l)!, !!cert)) http.push(`        ${line}`);
        http.push('    }');
      }
    }
    if (!locs.some((l) => l.path === '/' && !l.useRegex && l.pathType !== 'Exact')) http.push('    location / {', '        set $ingress_name "";', '        return 404 "default backend - 404\\n";', '    }');
    http.push('    location = /healthz {', '        set $ingress_name "";', '        access_log off;', '        return 200;', '    }');
    http.push('}');
  }
  out.push(...http.map((l) => `    ${l}`), '}');
  if (passthrough) {
    const pt = model.servers.filter((s) => s.passthrough);
    out.push('stream {', `    map $ssl_preread_server_name $passthrough_target {`);
    for (const s of pt) out.push(`        ${q(s.host)} ${upstreamName(s.passthrough!)};`);
    out.push(`        default 127.0.0.1:${o.internalHttpsPort ?? 442};`, '    }');
    for (const b of new Set(pt.map((s) => s.passthrough!))) {
      out.push(`    upstream ${upstreamName(b)} {`);
      if (b.servers.length) for (const sv of b.servers) out.push(`        server ${sv};`);
      else out.push(`        server 127.0.0.1:${none};`);
      out.push('    }');
    }
    out.push('    server {', `        listen ${o.httpsPort};`, '        ssl_preread on;', '        proxy_pass $passthrough_target;', '    }', '}');
  } else if (model.servers.some((s) => s.passthrough)) warnings.push('ssl-passthrough requested but not enabled (--enable-ssl-passthrough and the nginx stream module, Debian libnginx-mod-stream): TLS is terminated by nginx');
  const text = out.join('\n') + '\n';
  const hash = createHash('sha256').update(text).update(JSON.stringify(files)).digest('hex').slice(0, 16);
  return { conf: text.replace('@CONFIGURATION_HASH@', hash), files, warnings, hash };
}

/** Certificate files of the TLS Secrets the model names (cert + key in one PEM), relative to the config dir. */
export function certFiles(model: Model, secrets: Map<string, { data?: Record<string, string>; type?: string }>, warnings: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const s of model.servers) {
    if (!s.tlsSecret) continue;
    const sec = secrets.get(s.tlsSecret);
    const crt = sec?.data?.['tls.crt'];
    const key = sec?.data?.['tls.key'];
    if (!crt || !key) {
      warnings.push(`${s.host}: secret ${s.tlsSecret} ${sec ? 'has no tls.crt/tls.key' : 'not found'}: using the default certificate`);
      continue;
    }
    files[`certs/${s.tlsSecret.replace('/', '-')}.pem`] = Buffer.from(crt, 'base64').toString('utf8').trimEnd() + '\n' + Buffer.from(key, 'base64').toString('utf8').trimEnd() + '\n';
  }
  return files;
}
