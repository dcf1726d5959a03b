/**
 * TabWriter's one-pass path for tables added with row() gives exactly what Go's algorithm (tabwrite over
 * the joined text) gives: random tables with empty cells, wide characters, rows of other lengths,
 * cells holding tabs or newlines, and write() between rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TabWriter, tabwrite, type TabwriterOptions } from './tabwriter.js';

function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const WORDS = ['', 'a', 'app-0001', 'Synced', 'OutOfSync', 'https://kubernetes.default.svc', '<none>', 'é', '日本', '😀x', 'a\tb', 'x\ny', '  '];

describe('TabWriter', () => {
  it('rows render as tabwrite renders their joined text (random tables)', () => {
    const r = rng(7);
    const pick = () => WORDS[Math.floor(r() * WORDS.length)];
    for (let t = 0; t < 2000; t++) {
      const o: TabwriterOptions = r() < 0.5 ? { padding: 2 } : { minwidth: Math.floor(r() * 6), padding: Math.floor(r() * 4), alignRight: r() < 0.3, discardEmptyColumns: r() < 0.3 };
      const cols = Math.floor(r() * 6);
      const w = new TabWriter(o);
      let text = '';
      const n = Math.floor(r() * 8);
      for (let i = 0; i < n; i++) {
        if (r() < 0.05) {
          const s = r() < 0.5 ? '\n' : 'free text\n';
          w.write(s);
          text += s;
          continue;
        }
        const len = r() < 0.9 ? cols : Math.floor(r() * 6);
        const cells = Array.from({ length: len }, () => (r() < 0.1 ? (r() < 0.5 ? undefined : 42) : pick()));
        w.row(...cells);
        text += cells.map((c) => (c === undefined ? '' : String(c))).join('\t') + '\n';
      }
      assert.equal(w.flush(), tabwrite(text, o), `case ${t}: ${JSON.stringify(text)} ${JSON.stringify(o)}`);
    }
  });

  it('flush resets; a writer is reusable', () => {
    const w = new TabWriter();
    w.row('A', 'BB').row('ccc', 'd');
    assert.equal(w.flush(), 'A    BB\nccc  d\n');
    assert.equal(w.flush(), '');
    w.row('x', 'y');
    assert.equal(w.flush(), 'x  y\n');
  });
});
