// argocd-repo-server's command line: upstream's flags and argocd-cmd-params-cm environment, the
// flags that have no effect here, and bad values named in the error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELP, makeLogger, parseArgs, parseDuration, parseSize } from './main.js';

test('defaults are upstream’s', () => {
  const { values, ignored } = parseArgs([], {});
  assert.equal(values['port'], '8081');
  assert.equal(values['metrics-port'], '8084');
  assert.equal(values['address'], '0.0.0.0');
  assert.equal(values['loglevel'], 'info');
  assert.equal(values['logformat'], 'json');
  assert.equal(values['redis'], undefined);
  assert.deepEqual(ignored, []);
});

test('upstream’s manifest: the program path first, environment from argocd-cmd-params-cm', () => {
  const env = { REDIS_SERVER: 'argocd-redis:6379', ARGOCD_REPO_SERVER_LOGLEVEL: 'debug', ARGOCD_REPO_SERVER_LOGFORMAT: 'text', ARGOCD_REPO_SERVER_PARALLELISM_LIMIT: '3', ARGOCD_REPO_SERVER_LISTEN_ADDRESS: '', REDIS_COMPRESSION: 'none' };
  const { values } = parseArgs(['/usr/local/bin/argocd-repo-server'], env);
  assert.equal(values['redis'], 'argocd-redis:6379');
  assert.equal(values['loglevel'], 'debug');
  assert.equal(values['logformat'], 'text');
  assert.equal(values['parallelismlimit'], '3');
  assert.equal(values['address'], '0.0.0.0', 'an empty optional value keeps the default');
  assert.equal(values['redis-compress'], 'none');
});

test('flags win over the environment; --f=v and --f v; booleans', () => {
  const { values, ignored } = parseArgs(['--port=9000', '--redis', '127.0.0.1:7000', '--loglevel', 'warn', '--disable-tls', '--tlsminversion', '1.2', '--allow-oob-symlinks=false'], { REDIS_SERVER: 'elsewhere:1' });
  assert.equal(values['port'], '9000');
  assert.equal(values['redis'], '127.0.0.1:7000');
  assert.equal(values['loglevel'], 'warn');
  assert.deepEqual(ignored, ['--disable-tls', '--tlsminversion', '--allow-oob-symlinks']);
});

test('bad input is named', () => {
  assert.throws(() => parseArgs(['--no-such-flag'], {}), /unknown flag --no-such-flag/);
  assert.throws(() => parseArgs(['--port', 'eighty'], {}), /--port must be an integer \(got "eighty"\)/);
  assert.throws(() => parseArgs(['--port'], {}), /--port needs a value/);
  assert.throws(() => parseArgs(['stray'], {}), /unexpected argument "stray"/);
  assert.throws(() => parseArgs(['--loglevel', 'loud'], {}), /--loglevel must be one of debug\|info\|warn\|error/);
  assert.throws(() => parseArgs(['--logformat', 'xml'], {}), /--logformat must be json or text/);
  assert.throws(() => parseArgs([], { ARGOCD_REPO_CACHE_EXPIRATION: 'forever' }), /--repo-cache-expiration "forever" is not a duration/);
  assert.throws(() => parseArgs(['--max-combined-directory-manifests-size', 'big'], {}), /is not a size/);
});

test('durations and sizes', () => {
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('180'), 180_000);
  assert.throws(() => parseDuration('3 days'));
  assert.equal(parseSize('10M'), 10 * 1024 * 1024);
  assert.equal(parseSize('1Gi'), 1024 ** 3);
  assert.equal(parseSize('2048'), 2048);
});

test('log lines as logrus writes them; level filter', () => {
  const lines: string[] = [];
  const text = makeLogger('info', 'text', (l) => lines.push(l));
  text('debug', 'hidden');
  text('info', 'hello "world"');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^time="[^"]+" level=info msg="hello \\"world\\""\n$/);
  const json = makeLogger('warn', 'json', (l) => lines.push(l));
  json('info', 'hidden');
  json('error', 'boom');
  assert.deepEqual(Object.keys(JSON.parse(lines[1]!)), ['level', 'msg', 'time']);
});

test('--help lists the flags that work and the ones accepted for compatibility', () => {
  assert.match(HELP, /--parallelismlimit int/);
  assert.match(HELP, /\[\$REDIS_SERVER\]/);
  assert.match(HELP, /Accepted for compatibility[^]*--disable-tls/);
});
