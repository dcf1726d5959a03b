/** The executor's log lines (stderr, so the container log shows them beside the program's). */
export function log(msg: string, fields: Record<string, string> = {}): void {
  const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${/^[\w.+\-/:]+$/.test(v) ? v : JSON.stringify(v)}`).join('');
  process.stderr.write(`time="${new Date().toISOString()}" level=info msg=${JSON.stringify(msg)}${extra}\n`);
}
export function logError(msg: string): void {
  process.stderr.write(`time="${new Date().toISOString()}" level=error msg=${JSON.stringify(msg)}\n`);
}
export function logWarning(msg: string): void {
  process.stderr.write(`time="${new Date().toISOString()}" level=warning msg=${JSON.stringify(msg)}\n`);
}
