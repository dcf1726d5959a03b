/**
 * Go's text/tabwriter (the elastic tabstops algorithm), for the padchar ' ' case the Argo CLIs use:
 * cells are tab-terminated, the text after a line's last tab is not part of any column, and a
 * column's width is computed over each block of consecutive lines that have that column.
 */

export interface TabwriterOptions {
  minwidth?: number;
  tabwidth?: number;
  padding?: number;
  alignRight?: boolean;
  discardEmptyColumns?: boolean;
  /** the padding character (' '; a tab is not supported) */
  padchar?: string;
  /** Go's tabwriter.Debug: a '|' between columns */
  debug?: boolean;
}

interface Cell {
  text: string;
  width: number;
}

// the width in code points (Go counts runes); only text with surrogate pairs needs the slow count
const width = (s: string) => (/[\uD800-\uDBFF]/.test(s) ? [...s].length : s.length);

/** Formats text the way `tabwriter.NewWriter(w, minwidth, tabwidth, padding, ' ', flags)` + Flush would. */
export function tabwrite(text: string, o: TabwriterOptions = {}): string {
  const minwidth = o.minwidth ?? 0;
  const padding = o.padding ?? 2;
  const rawLines = text.split('\n');
  // a trailing newline ends the last line rather than starting an empty one
  const endsWithNewline = rawLines.length > 1 && rawLines[rawLines.length - 1] === '';
  if (endsWithNewline) rawLines.pop();
  const split = rawLines.map((l) => l.split('\t'));
  if (!o.debug && split.length && split.every((l) => l.length === split[0].length)) {
    const out = uniform(split, o, minwidth, padding);
    return out.join('\n') + (endsWithNewline ? '\n' : '');
  }
  const lines: Cell[][] = split.map((l) => l.map((t) => ({ text: t, width: width(t) })));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i];
      let s = '';
      for (let j = 0; j < line.length; j++) {
        const c = line[j];
        if (j > 0 && o.debug) s += '|';
        if (j < widths.length && j < line.length - 1) {
          const pad = (o.padchar ?? ' ').repeat(Math.max(0, widths[j] - c.width));
          s += o.alignRight ? pad + c.text : c.text + pad;
        } else {
          s += c.text;
        }
      }
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let w = minwidth;
      let discardable = true;
      for (; t < line1; t++) {
        const line = lines[t];
        if (column >= line.length - 1) break;
        const c = line[column];
        if (c.width + padding > w) w = c.width + padding;
        if (c.width > 0) discardable = false;
      }
      if (discardable && o.discardEmptyColumns) w = 0;
      widths.push(w);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n') + (endsWithNewline || out.length === 0 ? (out.length ? '\n' : '') : '');
}

/**
 * Every line has the same number of cells (a table): each column is one block over all lines, so its
 * width is the widest cell's plus padding — the same result as the general algorithm, in one pass.
 */
function uniform(lines: string[][], o: TabwriterOptions, minwidth: number, padding: number): string[] {
  const n = lines[0].length;
  // one width per cell: the code-point count only for text with a surrogate (checked once over all of it)
  const surrogates = /[\uD800-\uDBFF]/.test(lines.join());
  const cellWidths: number[][] = surrogates ? lines.map((l) => l.map(width)) : lines.map((l) => l.map((c) => c.length));
  const widths: number[] = [];
  for (let j = 0; j < n - 1; j++) {
    let w = minwidth;
    let discardable = true;
    for (const cw of cellWidths) {
      if (cw[j] + padding > w) w = cw[j] + padding;
      if (cw[j] > 0) discardable = false;
    }
    widths.push(discardable && o.discardEmptyColumns ? 0 : w);
  }
  const padchar = o.padchar ?? ' ';
  const pads: string[] = [];
  const pad = (k: number) => (pads[k] ??= padchar.repeat(k));
  const out: string[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const cw = cellWidths[i];
    let s = '';
    for (let j = 0; j < n - 1; j++) {
      const p = pad(Math.max(0, widths[j] - cw[j]));
      s += o.alignRight ? p + l[j] : l[j] + p;
    }
    out[i] = s + l[n - 1];
  }
  return out;
}

/**
 * Collects lines of tab-separated cells and renders them aligned (minwidth 0, tabwidth 0, padding 2).
 * Rows added with row() alone are kept as cells: a table of them is aligned in one pass without
 * joining and re-splitting its text (`argocd app list` with 1,000 apps); after write() rows are text, and
 * a cell holding a tab or newline sends the whole table through the general algorithm.
 */
export class TabWriter {
  private buf = '';
  private rows: string[][] = [];
  constructor(private readonly o: TabwriterOptions = { padding: 2 }) {}
  private toText(): void {
    for (const r of this.rows) this.buf += r.join('\t') + '\n';
    this.rows = [];
  }
  write(s: string): this {
    this.toText();
    this.buf += s;
    return this;
  }
  row(...cells: unknown[]): this {
    const r = cells.length ? cells.map((c) => (c === undefined || c === null ? '' : String(c))) : [''];
    if (this.buf) this.buf += r.join('\t') + '\n';
    else this.rows.push(r);
    return this;
  }
  /** the aligned text so far (and resets the buffer, like Flush) */
  flush(): string {
    const rows = this.rows;
    // rows.join stringifies each row (cells joined by commas): one pass finds a tab or newline inside a cell
    if (rows.length && !this.buf && !this.o.debug && rows.every((r) => r.length === rows[0].length) && !/[\t\n]/.test(rows.join())) {
      this.rows = [];
      return uniform(rows, this.o, this.o.minwidth ?? 0, this.o.padding ?? 2).join('\n') + '\n';
    }
    this.toText();
    const s = tabwrite(this.buf, this.o);
    this.buf = '';
    return s;
  }
}
