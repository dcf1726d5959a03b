/**
 * A YAML text box with highlighting while typing: CodeMirror 6 (`cm-yaml.ts`), loaded only when the
 * box is first shown, so it adds nothing to the initial JavaScript. Until it has loaded (or if it
 * cannot), a plain textarea with the same label stands in.
 */
import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { YamlEditorHandle } from './cm-yaml';

export function YamlEditor({ value, onChange, label, rows = 24 }: { value: string; onChange: (v: string) => void; label: string; rows?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const ed = useRef<YamlEditorHandle>(undefined);
  const change = useRef(onChange);
  change.current = onChange;
  const [ready, setReady] = useState(false);
  const initial = useRef(value);
  initial.current = value;
  useEffect(() => {
    let live = true;
    void import('./cm-yaml').then(
      (m) => {
        if (!live || !host.current) return;
        // typed text reaches the parent's state at once (flushSync), not on React's next scheduled
        // render: a button pressed right after typing (Save, Create) must see what was typed
        ed.current = m.createYamlEditor(host.current, { text: initial.current, label, onChange: (t) => flushSync(() => change.current(t)) });
        setReady(true);
      },
      () => {
        /* the textarea stays */
      },
    );
    return () => {
      live = false;
      ed.current?.destroy();
      ed.current = undefined;
    };
  }, [label]);
  useEffect(() => ed.current?.setText(value), [value]);
  return (
    <>
      <div ref={host} className="yaml-editor" style={{ display: ready ? undefined : 'none', minHeight: `${rows * 1.45}em` }} data-editor="codemirror" />
      {!ready && <textarea aria-label={label} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} style={{ width: '100%', fontFamily: 'ui-monospace, monospace', fontSize: 12 }} />}
    </>
  );
}
