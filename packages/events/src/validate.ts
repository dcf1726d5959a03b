/**
 * Validation of EventBus, EventSource and Sensor (pure): what the controllers report in status
 * conditions and what the validating webhook refuses on create/update, following upstream's rules
 * (one bus implementation; native `auth` immutable; at least one event source; dependencies and
 * triggers present; every trigger with a template naming exactly one trigger type…).
 * Each function returns the first problem found, or undefined.
 */
import type { AnyObj } from './util.js';
import { SOURCE_TYPES } from './workloads.js';
import { busKind, nativeLimits } from './eventbus.js';

const isObj = (v: unknown): v is AnyObj => !!v && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------- EventBus

export function validateEventBus(eb: AnyObj): string | undefined {
  const s = eb.spec;
  if (!isObj(s)) return 'invalid spec: spec is missing';
  const set = ['nats', 'jetstream', 'kafka'].filter((k) => s[k] != null);
  if (set.length === 0) return 'invalid spec: either "nats", "jetstream", or "kafka" needs to be specified';
  if (set.length > 1) return `invalid spec: "${set.join('" and "')}" can not be defined together`;
  if (s.nats) {
    const n = s.nats;
    if (n.native && n.exotic) return '"spec.nats.native" and "spec.nats.exotic" can not be defined together';
    if (!n.native && !n.exotic) return 'either "native" or "exotic" must be defined';
    if (n.native) {
      const a = n.native.auth;
      if (a != null && a !== 'none' && a !== 'token') return `unsupported auth strategy "${a}" in "spec.nats.native.auth" (none or token)`;
      if (n.native.replicas != null && !(Number.isInteger(Number(n.native.replicas)) && Number(n.native.replicas) >= 0)) return '"spec.nats.native.replicas" must be a non-negative integer';
      try {
        nativeLimits(n.native);
      } catch (e) {
        return (e as Error).message;
      }
    }
    if (n.exotic) {
      if (!n.exotic.url) return '"spec.nats.exotic.url" is missing';
      if (n.exotic.auth === 'token' && !n.exotic.accessSecret) return '"spec.nats.exotic.accessSecret" is required for auth "token"';
    }
  }
  if (s.jetstream) {
    const j = s.jetstream;
    if (!j.version) return 'invalid spec: a version for jetstream needs to be specified';
    if (j.replicas != null && !(Number.isInteger(Number(j.replicas)) && Number(j.replicas) >= 1)) return 'invalid spec: a jetstream eventbus requires at least 1 replica';
  }
  if (s.kafka) {
    if (!s.kafka.url) return '"spec.kafka.url" is missing';
  }
  return undefined;
}

/** Update rules: the implementation, a native bus's auth, an exotic bus's cluster id, a JetStream bus's version are immutable. */
export function validateEventBusUpdate(oldEb: AnyObj, newEb: AnyObj): string | undefined {
  const err = validateEventBus(newEb);
  if (err) return err;
  const a = busKind(oldEb.spec);
  const b = busKind(newEb.spec);
  if (a !== 'none' && a !== b) return `can not change event bus implementation (from ${a} to ${b})`;
  if (a === 'native' && (oldEb.spec.nats.native.auth ?? 'none') !== (newEb.spec.nats.native.auth ?? 'none')) return '"spec.nats.native.auth" is immutable, can not be updated';
  if (a === 'exotic' && (oldEb.spec.nats.exotic.clusterID ?? '') !== (newEb.spec.nats.exotic.clusterID ?? '')) return '"spec.nats.exotic.clusterID" is immutable, can not be updated';
  if (a === 'jetstream' && oldEb.spec.jetstream.streamConfig !== newEb.spec.jetstream.streamConfig) return '"spec.jetstream.streamConfig" is immutable, can not be updated';
  return undefined;
}

// ------------------------------------------------------------------------------- EventSource

const PORT = (v: unknown) => v != null && /^\d+$/.test(String(v)) && Number(v) > 0 && Number(v) < 65536;

function webhookContext(where: string, w: AnyObj | undefined): string | undefined {
  if (!isObj(w)) return `${where}: webhook context is missing`;
  if (!w.endpoint) return `${where}: endpoint can't be empty`;
  if (!String(w.endpoint).startsWith('/')) return `${where}: endpoint must start with '/'`;
  if (!w.port) return `${where}: port can't be empty`;
  if (!PORT(w.port)) return `${where}: port "${w.port}" is not a valid port`;
  if (w.method === undefined && where.startsWith('webhook')) return `${where}: method can't be empty`;
  if (w.maxPayloadSize != null && Number(w.maxPayloadSize) <= 0) return `${where}: maxPayloadSize must be > 0`;
  return undefined;
}

/** Per-type rules of one event of an EventSource (types not listed here are accepted as given). */
function validateSource(type: string, ev: string, c: AnyObj): string | undefined {
  const where = `${type}.${ev}`;
  if (!isObj(c)) return `${where}: event source config must be an object`;
  switch (type) {
    case 'webhook':
      return webhookContext(where, c);
    case 'github':
    case 'gitlab':
    case 'bitbucket':
    case 'bitbucketserver':
    case 'slack':
    case 'stripe':
    case 'storageGrid':
    case 'sns':
    case 'gerrit':
      return c.webhook ? webhookContext(`${where}.webhook`, c.webhook) : type === 'sns' || type === 'storageGrid' || type === 'slack' || type === 'stripe' ? `${where}: webhook can't be empty` : undefined;
    case 'calendar':
      if (!c.schedule && !c.interval) return `${where}: must have either schedule or interval`;
      return undefined;
    case 'file':
    case 'sftp':
      if (!c.eventType) return `${where}: type must be specified`;
      if (!c.watchPathConfig?.directory) return `${where}: directory can't be empty`;
      if (!c.watchPathConfig?.path && !c.watchPathConfig?.pathRegexp) return `${where}: either path or pathRegexp must be specified`;
      return undefined;
    case 'resource':
      if (!c.version) return `${where}: version must be specified`;
      if (!c.resource) return `${where}: resource must be specified`;
      for (const t of c.eventTypes ?? []) if (!['ADD', 'UPDATE', 'DELETE'].includes(t)) return `${where}: unknown event type ${t}`;
      return undefined;
    case 'amqp':
      if (!c.url && !c.urlSecret) return `${where}: either url or urlSecret must be specified`;
      if (!c.exchangeName) return `${where}: exchange name must be specified`;
      if (!c.exchangeType) return `${where}: exchange type must be specified`;
      if (!c.routingKey) return `${where}: routing key must be specified`;
      return undefined;
    case 'mqtt':
      if (!c.url) return `${where}: url must be specified`;
      if (!c.topic) return `${where}: topic must be specified`;
      if (!c.clientId) return `${where}: client id must be specified`;
      return undefined;
    case 'nats':
      if (!c.url) return `${where}: url must be specified`;
      if (!c.subject) return `${where}: subject must be specified`;
      return undefined;
    case 'redis':
      if (!c.hostAddress) return `${where}: host address must be specified`;
      if (!c.channels?.length) return `${where}: channel(s) must be specified`;
      return undefined;
    case 'redisStream':
      if (!c.hostAddress) return `${where}: host address must be specified`;
      if (!c.streams?.length) return `${where}: stream(s) must be specified`;
      return undefined;
    case 'kafka':
      if (!c.url) return `${where}: url must be specified`;
      if (!c.topic) return `${where}: topic must be specified`;
      return undefined;
    case 'generic':
      if (!c.url) return `${where}: url must be specified`;
      return undefined;
    default:
      return undefined;
  }
}

/** Number of events in an EventSource's spec. */
export function countSources(es: AnyObj): number {
  let n = 0;
  for (const t of SOURCE_TYPES) if (isObj(es.spec?.[t])) n += Object.keys(es.spec[t]).length;
  return n;
}

export function validateEventSource(es: AnyObj): string | undefined {
  const s = es.spec;
  if (!isObj(s)) return 'spec is missing';
  if (countSources(es) === 0) return 'at least one event source must be specified';
  const seen = new Set<string>();
  for (const t of SOURCE_TYPES) {
    if (!isObj(s[t])) continue;
    for (const [ev, c] of Object.entries(s[t] as AnyObj)) {
      if (seen.has(ev)) return `more than one "${ev}" found in the spec (event names must be unique)`;
      seen.add(ev);
      const err = validateSource(t, ev, c as AnyObj);
      if (err) return err;
    }
  }
  if (s.replicas != null && !(Number.isInteger(Number(s.replicas)) && Number(s.replicas) >= 0)) return 'replicas must be a non-negative integer';
  if (s.service) {
    const ports = s.service.ports;
    if (!Array.isArray(ports) || ports.length === 0) return 'spec.service.ports can not be empty';
  }
  return undefined;
}

// ------------------------------------------------------------------------------------ Sensor

export const TRIGGER_TYPES = [
  'k8s', 'argoWorkflow', 'http', 'awsLambda', 'custom', 'kafka', 'nats', 'slack', 'openWhisk', 'log', 'azureEventHubs', 'pulsar', 'email', 'azureServiceBus',
] as const;

const COMPARATORS = ['>=', '>', '=', '!=', '<', '<=', ''];
const HMS = /^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

function validateDependency(d: AnyObj, i: number): string | undefined {
  if (!isObj(d)) return `dependencies[${i}] must be an object`;
  if (!d.name) return 'dependency must define a name';
  if (!d.eventSourceName) return `dependency "${d.name}": must define the EventSourceName`;
  if (!d.eventName) return `dependency "${d.name}": must define the EventName`;
  const f = d.filters;
  if (f) {
    for (const df of f.data ?? []) {
      if (!df.path) return `dependency "${d.name}": data filter: path can't be empty`;
      if (!['string', 'number', 'bool'].includes(df.type)) return `dependency "${d.name}": data filter: unsupported type "${df.type}" (string, number or bool)`;
      if (!df.value?.length && !df.template) return `dependency "${d.name}": data filter: value can't be empty`;
      if (df.comparator != null && !COMPARATORS.includes(df.comparator)) return `dependency "${d.name}": data filter: unknown comparator "${df.comparator}"`;
    }
    for (const e of f.exprs ?? []) {
      if (!e.expr) return `dependency "${d.name}": expr filter: expr can't be empty`;
      if (!e.fields?.length) return `dependency "${d.name}": expr filter: fields can't be empty`;
    }
    if (f.time) {
      if (!HMS.test(String(f.time.start ?? ''))) return `dependency "${d.name}": time filter: start "${f.time.start}" is not HH:MM:SS`;
      if (!HMS.test(String(f.time.stop ?? ''))) return `dependency "${d.name}": time filter: stop "${f.time.stop}" is not HH:MM:SS`;
    }
  }
  for (const op of [d.filtersLogicalOperator, f?.dataLogicalOperator, f?.exprLogicalOperator]) {
    if (op != null && op !== '' && op !== 'and' && op !== 'or') return `dependency "${d.name}": logical operator "${op}" is not and/or`;
  }
  return undefined;
}

function validateParameters(where: string, params: unknown): string | undefined {
  if (params == null) return undefined;
  if (!Array.isArray(params)) return `${where}: parameters must be a list`;
  for (const p of params) {
    if (!p?.src) return `${where}: parameter source can't be empty`;
    if (!p.src.dependencyName) return `${where}: parameter dependency name can't be empty`;
    if (!p.dest) return `${where}: parameter destination can't be empty`;
    if (p.operation != null && !['', 'overwrite', 'append', 'prepend'].includes(p.operation)) return `${where}: parameter operation "${p.operation}" is not overwrite, append or prepend`;
  }
  return undefined;
}

function validateTrigger(t: AnyObj, i: number, deps: Set<string>): string | undefined {
  if (!isObj(t)) return `triggers[${i}] must be an object`;
  const tpl = t.template;
  if (!isObj(tpl)) return 'trigger template can\'t be nil';
  if (!tpl.name) return 'trigger must define a name';
  const where = `trigger "${tpl.name}"`;
  // field names match case-insensitively, as Go's encoding/json reads them (`openwhisk:` is `openWhisk`)
  const keys = new Map(Object.keys(tpl).map((k) => [k.toLowerCase(), k]));
  const types = TRIGGER_TYPES.filter((t) => keys.has(t.toLowerCase()) && tpl[keys.get(t.toLowerCase())!] != null);
  if (types.length === 0) return `${where}: trigger type can't be nil (one of ${TRIGGER_TYPES.join(', ')})`;
  if (types.length > 1) return `${where}: more than one trigger type (${types.join(', ')})`;
  const body = tpl[keys.get(types[0].toLowerCase())!];
  switch (types[0]) {
    case 'k8s':
      if (!body.source) return `${where}: source can't be nil`;
      if (body.operation && !['create', 'update', 'patch', 'delete'].includes(body.operation)) return `${where}: unknown operation type ${body.operation}`;
      if (body.operation === 'patch' && !body.patchStrategy) return `${where}: patch strategy can't be empty for patch operation`;
      break;
    case 'argoWorkflow':
      if (!body.source) return `${where}: source can't be nil`;
      if (body.operation && !['submit', 'submit-from', 'resubmit', 'resume', 'retry', 'suspend', 'terminate', 'stop'].includes(body.operation)) return `${where}: unknown operation type ${body.operation}`;
      break;
    case 'http':
      if (!body.url) return `${where}: server URL can't be empty`;
      if (body.method && !['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].includes(String(body.method).toUpperCase())) return `${where}: unsupported method ${body.method}`;
      break;
    case 'nats':
      if (!body.url) return `${where}: nats server url can't be empty`;
      if (!body.subject) return `${where}: nats subject can't be empty`;
      break;
    case 'kafka':
      if (!body.url) return `${where}: broker url must not be empty`;
      if (!body.topic) return `${where}: topic must not be empty`;
      break;
    case 'awsLambda':
      if (!body.functionName) return `${where}: function name can't be empty`;
      if (!body.region) return `${where}: region in can't be empty`;
      break;
    case 'custom':
      if (!body.serverURL) return `${where}: custom trigger gRPC server url is not defined`;
      break;
    default:
      break;
  }
  const perr = validateParameters(where, tpl.parameters) ?? validateParameters(`${where} (${types[0]})`, body?.parameters) ?? validateParameters(`${where} (trigger)`, t.parameters);
  if (perr) return perr;
  if (tpl.conditions) {
    const err = validateConditions(String(tpl.conditions), deps);
    if (err) return `${where}: ${err}`;
  }
  const rs = t.retryStrategy;
  if (rs && rs.steps != null && Number(rs.steps) < 0) return `${where}: retryStrategy.steps must be >= 0`;
  if (t.rateLimit && t.rateLimit.unit && !['Second', 'Minute', 'Hour'].includes(t.rateLimit.unit)) return `${where}: rateLimit unit "${t.rateLimit.unit}" is not Second, Minute or Hour`;
  return undefined;
}

/** A conditions expression: dependency names joined with && || and parentheses. */
export function validateConditions(expr: string, deps: Set<string>): string | undefined {
  const toks = expr.match(/\s*(&&|\|\||\(|\)|[A-Za-z0-9_.-]+|\S)/g)?.map((t) => t.trim()) ?? [];
  let depth = 0;
  let wantOperand = true;
  for (const t of toks) {
    if (t === '(') {
      if (!wantOperand) return `invalid conditions "${expr}": unexpected "("`;
      depth++;
    } else if (t === ')') {
      if (wantOperand || --depth < 0) return `invalid conditions "${expr}": unexpected ")"`;
    } else if (t === '&&' || t === '||') {
      if (wantOperand) return `invalid conditions "${expr}": unexpected "${t}"`;
      wantOperand = true;
    } else if (/^[A-Za-z0-9_.-]+$/.test(t)) {
      if (!wantOperand) return `invalid conditions "${expr}": missing operator before "${t}"`;
      if (!deps.has(t)) return `conditions refer to unknown dependency "${t}"`;
      wantOperand = false;
    } else return `invalid conditions "${expr}": unexpected "${t}"`;
  }
  if (wantOperand || depth !== 0) return `invalid conditions "${expr}": incomplete expression`;
  return undefined;
}

export function sensorDependencyError(sn: AnyObj): string | undefined {
  const deps = sn.spec?.dependencies;
  if (!Array.isArray(deps) || deps.length === 0) return 'no event dependencies found';
  const names = new Set<string>();
  for (let i = 0; i < deps.length; i++) {
    const err = validateDependency(deps[i], i);
    if (err) return err;
    if (names.has(deps[i].name)) return `more than one dependency found with name "${deps[i].name}"`;
    names.add(deps[i].name);
  }
  return undefined;
}

export function sensorTriggerError(sn: AnyObj): string | undefined {
  const triggers = sn.spec?.triggers;
  if (!Array.isArray(triggers) || triggers.length === 0) return 'no triggers found';
  const deps = new Set<string>((sn.spec?.dependencies ?? []).map((d: AnyObj) => d?.name).filter(Boolean));
  const names = new Set<string>();
  for (let i = 0; i < triggers.length; i++) {
    const err = validateTrigger(triggers[i], i, deps);
    if (err) return err;
    const n = triggers[i].template.name;
    if (names.has(n)) return `duplicate trigger name "${n}"`;
    names.add(n);
  }
  if (sn.spec?.dependencies?.length && triggers.some((t: AnyObj) => t.dlqTrigger && !isObj(t.dlqTrigger.template))) return 'dlqTrigger: trigger template can\'t be nil';
  return undefined;
}

export function validateSensor(sn: AnyObj): string | undefined {
  if (!isObj(sn.spec)) return 'spec is missing';
  return sensorDependencyError(sn) ?? sensorTriggerError(sn);
}
