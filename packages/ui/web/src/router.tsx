/** A small history-API router: paths are relative to the page's <base href>. */
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export const basePath = new URL(document.baseURI).pathname.replace(/\/?$/, '/');

/** The route: the location's path below the base href, without a leading slash ('applications/argocd/guestbook'). */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const p = location.pathname.startsWith(basePath) ? location.pathname.slice(basePath.length) : location.pathname.replace(/^\//, '');
  return { path: p.replace(/\/$/, ''), query: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(to: string, o: { replace?: boolean } = {}): void {
  const url = basePath + to.replace(/^\//, '');
  if (o.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useRoute() {
  const [r, setR] = useState(currentRoute);
  useEffect(() => {
    const l = () => setR(currentRoute());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return r;
}

export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={basePath + to.replace(/^\//, '')} onClick={onClick} {...rest} />;
}
