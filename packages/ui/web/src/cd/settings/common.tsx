/** What the Settings pages share: a list read from argocd-server and a labelled table with its states. */
import { useEffect, useState, type ReactNode } from 'react';
import { api } from '../../api';

export function useList(path: string, tick: number) {
  const [items, setItems] = useState<any[]>();
  const [error, setError] = useState('');
  useEffect(() => {
    setError('');
    api('GET', path).then((r) => setItems(r.items ?? []), (e) => setError(e.message));
  }, [path, tick]);
  return { items, error };
}

export function Table({ label, head, rows, error, empty = 'None yet.' }: { label: string; head: string[]; rows?: ReactNode[][]; error: string; empty?: string }) {
  if (error) return <div className="banner error" role="alert">{error}</div>;
  if (!rows) return <div className="muted" role="status">Loading…</div>;
  if (!rows.length) return <div className="empty">{empty}</div>;
  return (
    <table className="grid" aria-label={label}>
      <thead><tr>{head.map((h) => <th key={h}>{h}</th>)}</tr></thead>
      <tbody>{rows.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>)}</tbody>
    </table>
  );
}
