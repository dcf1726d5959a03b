/** Small helpers shared by the per-kind health checks (pure, total over arbitrary input). */
import type { HealthStatusCode, KubeObject } from '../types.js';

export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : 0;
}
/** A number when the field is set, undefined when absent (Go's *int32). */
export function optNum(v: unknown): number | undefined {
  return v === undefined || v === null ? undefined : num(v);
}
export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
export function spec(o: KubeObject): Obj {
  return obj(o.spec);
}
export function status(o: KubeObject): Obj {
  return obj(o.status);
}
export function generation(o: KubeObject): number {
  return num(o.metadata?.generation);
}
export function conditions(o: KubeObject): Obj[] {
  return arr(status(o).conditions).map(obj);
}
export function condition(o: KubeObject, type: string): Obj | undefined {
  return conditions(o).find((c) => c.type === type);
}
export function health(status: HealthStatusCode, message?: string): HealthStatus {
  return message ? { status, message } : { status };
}
export function groupOf(o: KubeObject): string {
  const av = str(o.apiVersion);
  const i = av.indexOf('/');
  return i < 0 ? '' : av.slice(0, i);
}
