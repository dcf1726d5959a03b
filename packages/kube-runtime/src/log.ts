/** Structured log lines (logfmt-like JSON, one a line) with a level threshold (`--loglevel`). */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function newLogger(level: Level = 'info', out: (line: string) => void = (l) => process.stderr.write(l + '\n'), format: 'json' | 'text' = 'json'): Logger {
  const emit = (lvl: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    if (format === 'json') out(JSON.stringify({ level: lvl, msg, time: new Date().toISOString(), ...fields }));
    else out(`time="${new Date().toISOString()}" level=${lvl} msg=${JSON.stringify(msg)}${Object.entries(fields).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** Whether a line of level `lvl` is written under the threshold `min`. */
export function levelEnabled(lvl: Level, min: Level): boolean {
  return ORDER[lvl] >= ORDER[min];
}

/** A `--loglevel` value (upstream's logrus names: `warning` is `warn`; `fatal` and `panic` log errors only), or
 * undefined when it is none of them. */
export function parseLevel(s: string): Level | undefined {
  const l = s.toLowerCase();
  if (l === 'warning') return 'warn';
  if (l === 'fatal' || l === 'panic') return 'error';
  return Object.hasOwn(ORDER, l) ? (l as Level) : undefined;
}
