/**
 * The pod name of a node, as the controller names pods (upstream's "v2" naming: `<workflow>-<template>-<FNV-1a 32 of
 * the node name>`, the prefix cut to fit 63 characters; the root pod is named after the workflow). The same rule as
 * @flotilla/workflows-controller's podName, kept here so that `argo get`/`argo list` do not load the controller's
 * whole package; print.test.ts checks the two agree.
 */
function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const MAX_PREFIX = 63 - 1 - 10;

export function podName(workflowName: string, nodeName: string, templateName: string | undefined): string {
  if (nodeName === workflowName) return workflowName;
  let prefix = templateName ? `${workflowName}-${templateName}` : workflowName;
  if (prefix.length > MAX_PREFIX) prefix = prefix.slice(0, MAX_PREFIX);
  prefix = prefix.replace(/[-.]+$/, '');
  return `${prefix}-${fnv32a(nodeName)}`;
}
