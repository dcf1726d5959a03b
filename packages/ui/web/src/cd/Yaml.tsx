/** YAML shown with light syntax highlighting (keys, strings, numbers, comments), and side-by-side/inline diffs. */
import { useEffect, useState } from 'react';
import { compact, diffLines, type DiffLine } from '../../../src/lib/diff.js';

let yamlMod: Promise<typeof import('yaml')> | undefined;
export const loadYaml = () => (yamlMod ??= import('yaml'));

/** An object (or its JSON text) as YAML text, '' for none. */
export function useYaml(obj: unknown): string | undefined {
  const [text, setText] = useState<string>();
  useEffect(() => {
    let live = true;
    const o = typeof obj === 'string' ? (obj ? JSON.parse(obj) : undefined) : obj;
    if (o === undefined || o === null) setText('');
    else void loadYaml().then((y) => live && setText(y.stringify(o, { sortMapEntries: false })));
    return () => void (live = false);
  }, [typeof obj === 'string' ? obj : JSON.stringify(obj)]);
  return text;
}

function highlight(line: string) {
  const m = /^(\s*-?\s*)([\w.\-/"']+)(:)(\s.*)?$/.exec(line);
  if (m) {
    const v = m[4] ?? '';
    const cls = /^\s*-?\d+(\.\d+)?$/.test(v) || /^\s*(true|false|null)$/.test(v) ? 'y-num' : 'y-str';
    return <>{m[1]}<span className="y-key">{m[2]}</span>{m[3]}<span className={cls}>{v}</span></>;
  }
  if (/^\s*#/.test(line)) return <span className="y-com">{line}</span>;
  return line;
}

export function YamlView({ text, label }: { text?: string; label: string }) {
  if (text === undefined) return <div className="muted" role="status">Loading…</div>;
  if (!text) return <div className="empty">No {label.toLowerCase()}.</div>;
  return (
    <pre className="code" role="region" aria-label={label} tabIndex={0}>
      {text.split('\n').map((l, i) => <div key={i}>{highlight(l)}</div>)}
    </pre>
  );
}

export function DiffView({ left, right, mode = 'inline', compactView = true }: { left: string; right: string; mode?: 'inline' | 'split'; compactView?: boolean }) {
  const lines = diffLines(left, right);
  if (!lines.some((l) => l.op !== ' ')) return <div className="empty">No differences.</div>;
  const shown: (DiffLine | null)[] = compactView ? compact(lines) : lines;
  if (mode === 'inline')
    return (
      <table className="diff" aria-label="Diff (live → desired)">
        <tbody>
          {shown.map((l, i) =>
            l === null ? <tr key={i} className="gap"><td colSpan={4}>⋯</td></tr> : (
              <tr key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
                <td className="n">{l.a ?? ''}</td><td className="n">{l.b ?? ''}</td><td className="n">{l.op}</td><td className="t">{l.text}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    );
  // side by side: pair removals with the additions that follow them
  const rows: [DiffLine | undefined, DiffLine | undefined][] = [];
  for (let i = 0; i < shown.length; i++) {
    const l = shown[i];
    if (l === null) rows.push([undefined, undefined]);
    else if (l.op === ' ') rows.push([l, l]);
    else {
      const dels: DiffLine[] = [];
      const adds: DiffLine[] = [];
      while (i < shown.length && shown[i] && shown[i]!.op !== ' ') {
        (shown[i]!.op === '-' ? dels : adds).push(shown[i]!);
        i++;
      }
      i--;
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) rows.push([dels[k], adds[k]]);
    }
  }
  return (
    <table className="diff" aria-label="Diff side by side (live | desired)">
      <tbody>
        {rows.map(([a, b], i) =>
          !a && !b ? <tr key={i} className="gap"><td colSpan={4}>⋯</td></tr> : (
            <tr key={i}>
              <td className="n">{a?.a ?? ''}</td><td className={a?.op === '-' ? 'del' : ''}>{a?.text ?? ''}</td>
              <td className="n">{b?.b ?? ''}</td><td className={b?.op === '+' ? 'add' : ''}>{b?.text ?? ''}</td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}
