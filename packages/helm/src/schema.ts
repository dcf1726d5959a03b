// values.schema.json: the coalesced values of each chart are validated against its schema (JSON
// Schema draft-07 by default; 2019-09 / 2020-12 when the schema's $schema says so). Errors name
// the failing values path, one line per error, grouped by chart, in the form Helm prints them.
import { createRequire } from 'node:module';
import type { Chart } from './chart.js';
import { HelmError } from './errors.js';
import { toPlainJson, type Values } from './values.js';
import { isMap } from '@flotilla/gotemplate';

const require = createRequire(import.meta.url);

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
}
interface AjvValidate {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}
interface AjvInstance {
  compile(schema: unknown): AjvValidate;
}
type AjvCtor = new (opts: Record<string, unknown>) => AjvInstance;

const instances = new Map<string, AjvInstance>();
function ajvFor(schema: Record<string, unknown>): AjvInstance {
  const uri = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  const flavour = uri.includes('2020-12') ? '2020' : uri.includes('2019-09') ? '2019' : '07';
  let a = instances.get(flavour);
  if (!a) {
    const mod = require(flavour === '2020' ? 'ajv/dist/2020' : flavour === '2019' ? 'ajv/dist/2019' : 'ajv') as { default: AjvCtor };
    a = new mod.default({ allErrors: true, strict: false, validateFormats: false, logger: false, verbose: true, validateSchema: false });
    instances.set(flavour, a);
  }
  return a;
}

const compiled = new Map<string, AjvValidate>();

function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function fieldOf(instancePath: string): string {
  if (instancePath === '') return '(root)';
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function describe(e: AjvError): string {
  const field = fieldOf(e.instancePath);
  const p = e.params;
  switch (e.keyword) {
    case 'type': {
      const t = Array.isArray(p['type']) ? (p['type'] as string[]).join(', ') : String(p['type']);
      return `${field}: Invalid type. Expected: ${t}, given: ${jsonType(e.data)}`;
    }
    case 'required':
      return `${field}: ${String(p['missingProperty'])} is required`;
    case 'additionalProperties':
      return `${field}: Additional property ${String(p['additionalProperty'])} is not allowed`;
    case 'enum':
      return `${field}: ${field} must be one of the following: ${((p['allowedValues'] as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${field}: ${field} does not match: ${JSON.stringify(p['allowedValue'])}`;
    case 'minimum':
      return `${field}: Must be greater than or equal to ${String(p['limit'])}`;
    case 'maximum':
      return `${field}: Must be less than or equal to ${String(p['limit'])}`;
    case 'exclusiveMinimum':
      return `${field}: Must be greater than ${String(p['limit'])}`;
    case 'exclusiveMaximum':
      return `${field}: Must be less than ${String(p['limit'])}`;
    case 'minLength':
      return `${field}: String length must be greater than or equal to ${String(p['limit'])}`;
    case 'maxLength':
      return `${field}: String length must be less than or equal to ${String(p['limit'])}`;
    case 'pattern':
      return `${field}: Does not match pattern '${String(p['pattern'])}'`;
    case 'minItems':
      return `${field}: Array must have at least ${String(p['limit'])} items`;
    case 'maxItems':
      return `${field}: Array must have at most ${String(p['limit'])} items`;
    case 'uniqueItems':
      return `${field}: array items[${String(p['j'])},${String(p['i'])}] must be unique`;
    case 'multipleOf':
      return `${field}: Must be a multiple of ${String(p['multipleOf'])}`;
    case 'minProperties':
      return `${field}: Must have at least ${String(p['limit'])} properties`;
    case 'maxProperties':
      return `${field}: Must have at most ${String(p['limit'])} properties`;
    default:
      return `${field}: ${e.message ?? e.keyword}`;
  }
}

/** Validates values against one schema; returns "- field: problem" lines (empty when valid). */
export function validateAgainstSchema(schemaText: Buffer | string, values: Values, where: string): string[] {
  const text = schemaText.toString();
  let validate = compiled.get(text);
  if (!validate) {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (e) {
      throw new HelmError(`${where}: cannot parse values.schema.json: ${(e as Error).message}`);
    }
    if (typeof schema === 'boolean') schema = schema ? {} : { not: {} };
    if (!isMap(schema)) throw new HelmError(`${where}: values.schema.json must be a JSON object`);
    try {
      validate = ajvFor(schema).compile(schema);
    } catch (e) {
      throw new HelmError(`${where}: invalid values.schema.json: ${(e as Error).message}`);
    }
    if (compiled.size > 200) compiled.clear();
    compiled.set(text, validate);
  }
  if (validate(toPlainJson(values))) return [];
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of validate.errors ?? []) {
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'allOf') {
      if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
        const l = `- ${fieldOf(e.instancePath)}: Must validate ${e.keyword === 'anyOf' ? 'at least one' : 'one and only one'} schema (${e.keyword})`;
        if (!seen.has(l)) lines.push(l), seen.add(l);
      }
      continue;
    }
    const l = `- ${describe(e)}`;
    if (!seen.has(l)) {
      seen.add(l);
      lines.push(l);
    }
  }
  return lines;
}

/** Validates a chart tree; throws Helm's "values don't meet the specifications" error. */
export function validateChartValues(chart: Chart, values: Values): void {
  let report = '';
  const walk = (c: Chart, v: Values) => {
    if (c.schema && c.schema.length) {
      const lines = validateAgainstSchema(c.schema, v, c.name);
      if (lines.length) report += `${c.name}:\n${lines.join('\n')}\n`;
    }
    for (const sub of c.dependencies) {
      const sv = v[sub.name];
      walk(sub, isMap(sv) ? sv : {});
    }
  };
  walk(chart, values);
  if (report) throw new HelmError(`values don't meet the specifications of the schema(s) in the following chart(s):\n${report.replace(/\n$/, '')}`);
}
