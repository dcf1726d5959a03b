/** Health, sync and operation states as an icon plus text (colour is never the only signal); bundled SVG, no icon font. */
import type { ReactNode } from 'react';

const svg = (d: ReactNode, cls: string, spin = false) => (
  <svg className={`icon ${cls}${spin ? ' spin' : ''}`} viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
    {d}
  </svg>
);

const HEALTH: Record<string, { cls: string; icon: ReactNode; spin?: boolean }> = {
  Healthy: { cls: 'ok', icon: <path d="M8 14s-6-3.6-6-8a3.2 3.2 0 0 1 6-1.6A3.2 3.2 0 0 1 14 6c0 4.4-6 8-6 8z" fill="currentColor" /> },
  Progressing: { cls: 'info', spin: true, icon: <path d="M8 1.5a6.5 6.5 0 1 0 6.5 6.5h-2A4.5 4.5 0 1 1 8 3.5z" fill="currentColor" /> },
  Degraded: { cls: 'bad', icon: <path d="M8 14s-6-3.6-6-8a3.2 3.2 0 0 1 6-1.6l-1 2.6 2 1.5-1.5 2 2.5-2-2-1.5 1-2.6A3.2 3.2 0 0 1 14 6c0 4.4-6 8-6 8z" fill="currentColor" /> },
  Suspended: { cls: 'muted', icon: <path d="M4 3h3v10H4zM9 3h3v10H9z" fill="currentColor" /> },
  Missing: { cls: 'warn', icon: <path d="M8 1.5a5 5 0 0 0-5 5V14l1.7-1.3L6.3 14 8 12.7 9.7 14l1.6-1.3L13 14V6.5a5 5 0 0 0-5-5zM6 7a1 1 0 1 1 0-2 1 1 0 0 1 0 2zm4 0a1 1 0 1 1 0-2 1 1 0 0 1 0 2z" fill="currentColor" /> },
};
const UNKNOWN = { cls: 'muted', icon: <><circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" /><path d="M6.3 6.2a1.8 1.8 0 1 1 2.4 1.7c-.5.2-.7.5-.7 1V9.5M8 11.2v.3" fill="none" stroke="currentColor" strokeWidth="1.5" /></> };

const SYNC: Record<string, { cls: string; icon: ReactNode; spin?: boolean }> = {
  Synced: { cls: 'ok', icon: <path d="M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm-1 9.6L4.2 8.3l1.1-1.1L7 8.9l3.7-3.7 1.1 1.1z" fill="currentColor" /> },
  OutOfSync: { cls: 'warn', icon: <path d="M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm0 3 3.5 3.6h-2.3V11.5H6.8V8.1H4.5z" fill="currentColor" /> },
};

/** Operation phases (sync in progress, failed…). */
const PHASE: Record<string, { cls: string; icon: ReactNode; spin?: boolean }> = {
  Running: { cls: 'info', spin: true, icon: HEALTH.Progressing.icon },
  Terminating: { cls: 'info', spin: true, icon: HEALTH.Progressing.icon },
  Succeeded: SYNC.Synced,
  Failed: { cls: 'bad', icon: <path d="M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm2.6 8-1.1 1.1L8 9.1l-1.5 1.5-1.1-1.1L6.9 8 5.4 6.5l1.1-1.1L8 6.9l1.5-1.5 1.1 1.1L9.1 8z" fill="currentColor" /> },
  Error: { cls: 'bad', icon: <path d="M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zm2.6 8-1.1 1.1L8 9.1l-1.5 1.5-1.1-1.1L6.9 8 5.4 6.5l1.1-1.1L8 6.9l1.5-1.5 1.1 1.1L9.1 8z" fill="currentColor" /> },
};

function Status({ map, value, label, text }: { map: Record<string, { cls: string; icon: ReactNode; spin?: boolean }>; value?: string; label: string; text?: string }) {
  const v = value || 'Unknown';
  const s = map[v] ?? UNKNOWN;
  return (
    <span className={`status ${s.cls}`} title={`${label}: ${text ?? v}`} data-status={text ?? v}>
      {svg(s.icon, s.cls, s.spin)}
      <span>{text ?? v}</span>
    </span>
  );
}

export const HealthStatus = ({ value, text }: { value?: string; text?: string }) => <Status map={HEALTH} value={value} label="Health" text={text} />;
export const SyncStatus = ({ value }: { value?: string }) => <Status map={SYNC} value={value} label="Sync" />;
export const PhaseStatus = ({ value }: { value?: string }) => <Status map={{ ...PHASE, ...HEALTH }} value={value} label="Phase" />;

/** A short kind badge for the tree's nodes (like upstream's kind icons, as text). */
export function kindAbbrev(kind: string): string {
  const known: Record<string, string> = { Deployment: 'deploy', ReplicaSet: 'rs', Pod: 'pod', Service: 'svc', ConfigMap: 'cm', Secret: 'secret', StatefulSet: 'sts', DaemonSet: 'ds', Ingress: 'ing', Endpoints: 'ep', EndpointSlice: 'eps', ServiceAccount: 'sa', Job: 'job', CronJob: 'cj', Namespace: 'ns', Application: 'app', PersistentVolumeClaim: 'pvc', Role: 'role', RoleBinding: 'rb', Internet: 'net' };
  return known[kind] ?? kind.replace(/[a-z]/g, '').toLowerCase().slice(0, 4) ?? kind.slice(0, 4);
}

/** The Flotilla mark (a sailboat), inline so no font or network is needed. */
export const Logo = ({ size = 20 }: { size?: number }) => (
  <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" style={{ verticalAlign: '-3px', marginRight: 6 }}>
    <path d="M11 2v14H4z" fill="currentColor" opacity=".9" />
    <path d="M13 5v11h7z" fill="currentColor" opacity=".65" />
    <path d="M2 18h20l-2.5 4h-15z" fill="currentColor" />
  </svg>
);
