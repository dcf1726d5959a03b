/** The repo-server client (`@flotilla/repo-server/client`, loaded at run time), or one that answers Unavailable. */
import { ApiErr, Code } from './http.js';
import type { RepoClientLike } from './context.js';

const CLIENT = '@flotilla/repo-server/client';

export function repoBaseURL(addr: string): string {
  if (/^https?:\/\//.test(addr)) return addr;
  return `http://${addr}`;
}

function unavailable(addr: string, why: string): RepoClientLike {
  const fail = async (): Promise<never> => {
    throw new ApiErr(Code.Unavailable, `repo server ${addr} is not available: ${why}`);
  };
  return { generateManifests: fail, resolveRevision: fail, listRefs: fail, testRepository: fail, revisionMetadata: fail, appDetails: fail, listApps: fail };
}

export async function repoClient(addr: string): Promise<RepoClientLike> {
  try {
    const mod = (await import(CLIENT)) as { RepoClient: new (base: string) => RepoClientLike };
    return new mod.RepoClient(repoBaseURL(addr));
  } catch (e) {
    return unavailable(addr, `no client: ${(e as Error).message}`);
  }
}
