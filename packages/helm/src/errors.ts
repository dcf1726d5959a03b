/** An error from loading, configuring or rendering a chart. `file`/`line` locate template errors. */
export class HelmError extends Error {
  file?: string;
  line?: number;
  constructor(message: string, opts: { file?: string; line?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'HelmError';
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.line !== undefined) this.line = opts.line;
  }
}
