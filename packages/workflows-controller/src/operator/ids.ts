// Deterministic node ids and pod names, derived as Argo derives them:
//  - node id: the workflow name for the root node (node name == workflow name), otherwise
//    `<workflow name>-<FNV-1a 32-bit hash of the node name, decimal>` (e.g. `hello-x7k2p-3754190965`);
//  - pod name ("v2" naming): `<workflow name>-<template name>-<same hash>`, the prefix trimmed so the whole
//    name stays within 63 characters; the root pod (node name == workflow name) is named after the workflow.
// Node names are the display path: `wf`, `wf[0]`, `wf[0].step-a`, `wf.task-a`, `wf.task-a(0:foo)`, `wf(0)` (retry), `wf.onExit`.

export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    h ^= c;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  if (ascii) return h >>> 0;
  h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function nodeId(workflowName: string, nodeName: string): string {
  return nodeName === workflowName ? workflowName : `${workflowName}-${fnv32a(nodeName)}`;
}

const MAX_PREFIX = 63 - 1 - 10; // room for "-" and a 10-digit hash

export function podName(workflowName: string, nodeName: string, templateName: string | undefined): string {
  if (nodeName === workflowName) return workflowName;
  let prefix = templateName ? `${workflowName}-${templateName}` : workflowName;
  if (prefix.length > MAX_PREFIX) prefix = prefix.slice(0, MAX_PREFIX);
  prefix = prefix.replace(/[-.]+$/, '');
  return `${prefix}-${fnv32a(nodeName)}`;
}

/** The label of a fanned-out item in a node name: `(0:foo)`, `(1:a:1,b:2)` for maps (keys sorted), JSON for lists. */
export function itemLabel(index: number, item: unknown): string {
  let s: string;
  if (item === null || item === undefined) s = '';
  else if (typeof item === 'object' && !Array.isArray(item)) {
    s = Object.keys(item as object).sort().map((k) => `${k}:${plain((item as Record<string, unknown>)[k])}`).join(',');
  } else s = plain(item);
  return `(${index}:${s})`;
}

function plain(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
