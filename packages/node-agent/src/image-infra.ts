/**
 * The infrastructure images Argo's install manifests, quick-starts and examples run (redis,
 * minio, postgres, prometheus, nginx, the guestbook frontend), mapped to programs on the host or
 * built into the node agent, and the adapters that give them their images' entrypoint behaviour.
 * Adapters are pure: (argv, env) in, (argv, env) out.
 */
import type { ImageMapping } from './images.js';

export interface AdapterContext {
  /** where a server in the pod listens: 0.0.0.0 with a network namespace of its own, else the pod IP */
  listenIP: string;
}
export type Adapter = (argv: string[], env: Record<string, string>, ctx: AdapterContext) => { argv: string[]; env: Record<string, string> };

const base = (p: string | undefined) => (p ?? '').split('/').pop() ?? '';
/** Whether `--name` is among the args, as its own word or as `--name value` in one argument. */
const hasOpt = (args: string[], name: string) => args.some((a) => a === `--${name}` || a.startsWith(`--${name} `) || a.startsWith(`--${name}=`));

/**
 * redis (the official image): args that start with `-` or name a `.conf` run redis-server with
 * them; protected mode is off (the image is built so), the password comes from `--requirepass`
 * (Argo CD passes `--requirepass $(REDIS_PASSWORD)` as one argument, which redis-server accepts)
 * or, when no `--requirepass` is given, from a non-empty `REDIS_PASSWORD`.
 */
export function redisAdapter(argv: string[], env: Record<string, string>, ctx: AdapterContext): { argv: string[]; env: Record<string, string> } {
  let a = [...argv];
  if (a.length && (a[0].startsWith('-') || a[0].endsWith('.conf'))) a = ['redis-server', ...a];
  if (base(a[0]) !== 'redis-server') return { argv: a, env };
  const args = a.slice(1);
  if (!hasOpt(args, 'requirepass') && env.REDIS_PASSWORD) a.push('--requirepass', env.REDIS_PASSWORD);
  if (!hasOpt(args, 'protected-mode')) a.push('--protected-mode', 'no');
  // sharing the host's network, the server must not take the port on every address
  if (ctx.listenIP !== '0.0.0.0' && !hasOpt(args, 'bind')) a.push('--bind', ctx.listenIP);
  return { argv: a, env };
}

/** prometheus: sharing the host's network, it listens on the pod IP unless told where. */
export function prometheusAdapter(argv: string[], env: Record<string, string>, ctx: AdapterContext): { argv: string[]; env: Record<string, string> } {
  if (base(argv[0]) !== 'prometheus' || ctx.listenIP === '0.0.0.0' || hasOpt(argv.slice(1), 'web.listen-address')) return { argv, env };
  return { argv: [...argv, `--web.listen-address=${ctx.listenIP}:9090`], env };
}

export const ADAPTERS: Record<string, Adapter> = { redis: redisAdapter, prometheus: prometheusAdapter };

const builtin = (program: string) => ['{node}', `{programs}/${program}.js`];

const redis: ImageMapping = {
  cmd: ['redis-server'],
  adapter: 'redis',
  commands: { 'redis-server': 'redis-server', '/usr/local/bin/redis-server': 'redis-server', 'redis-cli': 'redis-cli', '/usr/local/bin/redis-cli': 'redis-cli', 'docker-entrypoint.sh': [] },
  volumes: ['/data'],
  workingDir: '/data',
  requires: [{ program: 'redis-server', package: 'redis-server' }],
  description: 'the host redis-server (protected mode off, REDIS_PASSWORD honoured)',
};

const minio: ImageMapping = {
  entrypoint: builtin('minio'),
  commands: { minio: builtin('minio'), '/usr/bin/minio': builtin('minio'), '/opt/bin/minio': builtin('minio') },
  volumes: ['/data'],
  description: 'built-in S3-compatible server (minio server DIR, credentials from MINIO_ROOT_USER/PASSWORD or MINIO_ACCESS_KEY/SECRET_KEY)',
};

const postgres: ImageMapping = {
  entrypoint: builtin('postgres'),
  cmd: ['postgres'],
  env: { PGDATA: '/var/lib/postgresql/data' },
  commands: { postgres: builtin('postgres'), 'docker-entrypoint.sh': builtin('postgres'), '/usr/local/bin/docker-entrypoint.sh': builtin('postgres') },
  volumes: ['/var/lib/postgresql/data'],
  requires: [{ program: '/usr/lib/postgresql/*/bin/postgres', package: 'postgresql' }],
  description: "the host's PostgreSQL, initialised in the pod's volume (POSTGRES_USER/PASSWORD/DB, PGDATA)",
};

/** The default configuration of the prometheus image (it scrapes itself). */
const PROMETHEUS_YML = `global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
`;

const prometheus: ImageMapping = {
  entrypoint: ['prometheus'],
  cmd: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'],
  adapter: 'prometheus',
  commands: { '/bin/prometheus': 'prometheus', prometheus: 'prometheus', '/bin/promtool': 'promtool' },
  workingDir: '/prometheus',
  volumes: ['/prometheus'],
  files: { '/etc/prometheus/prometheus.yml': PROMETHEUS_YML },
  requires: [{ program: 'prometheus', package: 'prometheus' }],
  description: 'the host prometheus',
};

/** The nginx image's /etc/nginx/nginx.conf (logs go to the container's stdout/stderr). */
const NGINX_CONF = `user www-data;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /var/run/nginx.pid;
events {
    worker_connections 1024;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';
    access_log /var/log/nginx/access.log main;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
`;

/** The nginx image's /etc/nginx/conf.d/default.conf: the welcome page on :80. */
const NGINX_DEFAULT_CONF = `server {
    listen {listenIP}:80;
    server_name localhost;
    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }
    error_page 500 502 503 504 /50x.html;
    location = /50x.html {
        root /usr/share/nginx/html;
    }
}
`;

const nginx: ImageMapping = {
  cmd: ['nginx', '-g', 'daemon off;'],
  commands: { nginx: '/usr/sbin/nginx', 'nginx-debug': '/usr/sbin/nginx', '/docker-entrypoint.sh': [] },
  volumes: ['/var/log/nginx', '/var/cache/nginx', '/var/lib/nginx'],
  files: {
    '/etc/nginx/nginx.conf': NGINX_CONF,
    '/etc/nginx/conf.d/default.conf': NGINX_DEFAULT_CONF,
    '/var/log/nginx/access.log': { symlink: '/dev/stdout' },
    '/var/log/nginx/error.log': { symlink: '/dev/stderr' },
  },
  requires: [{ program: 'nginx', package: 'nginx' }],
  description: "the host nginx with the nginx image's configuration (welcome page on :80, conf.d/*.conf)",
};

/** Keys are repositories (any tag), as in DEFAULT_IMAGES. */
export const INFRA_IMAGES: Record<string, ImageMapping> = {
  redis,
  'public.ecr.aws/docker/library/redis': redis,
  'minio/minio': minio,
  'quay.io/minio/minio': minio,
  postgres,
  'public.ecr.aws/docker/library/postgres': postgres,
  'prom/prometheus': prometheus,
  'quay.io/prometheus/prometheus': prometheus,
  nginx,
  'public.ecr.aws/docker/library/nginx': nginx,
  'gcr.io/google-samples/gb-frontend': {
    entrypoint: builtin('gb-frontend'),
    description: 'built-in guestbook frontend (HTTP on :80)',
  },
};
