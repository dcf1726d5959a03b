/** Applications, live: the list from the stream API (ADDED/MODIFIED/DELETED), with the stream's state. */
import { useEffect, useRef, useState } from 'react';
import { stream, type StreamState } from '../api';
import type { Application } from './types';

export function useApps(query = ''): { apps: Application[]; state: StreamState; error?: string; loaded: boolean } {
  const map = useRef(new Map<string, Application>());
  const [apps, setApps] = useState<Application[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    let pending = false;
    const flush = () => {
      pending = false;
      setApps([...map.current.values()]);
      setLoaded(true);
    };
    const stop = stream(
      `api/v1/stream/applications${query}`,
      (r: { type: string; application: Application }) => {
        if (!r?.application?.metadata) return;
        const key = `${r.application.metadata.namespace}/${r.application.metadata.name}`;
        if (r.type === 'DELETED') map.current.delete(key);
        else map.current.set(key, r.application);
        if (!pending) {
          pending = true;
          requestAnimationFrame(flush);
        }
      },
      (s, err) => {
        setState(s);
        setError(err);
        if (s === 'open') {
          map.current.clear();
          setTimeout(() => setLoaded(true), 300);
        }
      },
    );
    return stop;
  }, [query]);
  return { apps, state, error, loaded };
}
