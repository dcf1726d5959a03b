import type { AppLike } from '../../../src/lib/apps.js';
import type { StatusResource } from '../../../src/lib/tree.js';

export interface Source {
  repoURL: string;
  path?: string;
  chart?: string;
  targetRevision?: string;
  helm?: { valueFiles?: string[]; parameters?: { name: string; value: string }[]; values?: string };
}

export interface Application extends AppLike {
  apiVersion?: string;
  kind?: string;
  metadata: AppLike['metadata'] & { resourceVersion?: string; annotations?: Record<string, string>; deletionTimestamp?: string; finalizers?: string[] };
  spec: AppLike['spec'] & { source?: Source; syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean }; syncOptions?: string[] } };
  status?: AppLike['status'] & {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    resources?: StatusResource[];
    history?: { id: number; revision?: string; deployedAt?: string; source?: Source; initiatedBy?: { username?: string; automated?: boolean } }[];
    operationState?: { phase?: string; message?: string; startedAt?: string; finishedAt?: string; syncResult?: { revision?: string; resources?: { kind: string; name: string; namespace?: string; status?: string; message?: string; syncPhase?: string }[] } };
    reconciledAt?: string;
    conditions?: { type: string; message: string }[];
    sourceType?: string;
  };
  operation?: unknown;
}
