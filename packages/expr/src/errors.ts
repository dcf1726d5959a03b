// Errors of both languages: a reason plus the 1-based line:column of the offending token.

export class ExprError extends Error {
  override name = 'ExprError';
  /** 1-based line and column (0 when unknown). */
  readonly line: number;
  readonly column: number;
  /** The reason without the position suffix. */
  readonly reason: string;
  /** The source line with a caret under the column (empty when unknown). */
  readonly snippet: string;
  constructor(reason: string, source?: string, offset?: number) {
    const { line, column, snippet } = locate(source, offset);
    super(line ? `${reason} (${line}:${column})` : reason);
    this.reason = reason;
    this.line = line;
    this.column = column;
    this.snippet = snippet;
  }
}

function locate(source: string | undefined, offset: number | undefined): { line: number; column: number; snippet: string } {
  if (source === undefined || offset === undefined || offset < 0) return { line: 0, column: 0, snippet: '' };
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  let end = source.indexOf('\n', start);
  if (end < 0) end = source.length;
  const column = offset - start + 1;
  const text = source.slice(start, end);
  return { line, column, snippet: ` | ${text}\n | ${'.'.repeat(Math.max(0, column - 1))}^` };
}

/** Thrown inside evaluation helpers that do not know the position; the evaluator adds it. */
export class EvalFault extends Error {
  override name = 'EvalFault';
}

export function fault(msg: string): never {
  throw new EvalFault(msg);
}
