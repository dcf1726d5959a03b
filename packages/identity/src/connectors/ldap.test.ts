import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { ConnectorContext, Identity, PasswordConnector } from '../connector.js';
import { CONNECTORS } from './index.js';
import { andEquals, escapeFilterValue, parseLdapConfig } from './ldap.js';
import { freePort, slapdMissing, startSlapd, type Slapd } from './testing/slapd.js';

const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
const ctx: ConnectorContext = {
  id: 'ldap', name: 'LDAP', issuer: 'http://127.0.0.1:5556/api/dex', callbackURL: 'http://127.0.0.1:5556/api/dex/callback',
  log: (level, msg, fields) => { logs.push({ level, msg, fields }); },
};
const ALL = { offlineAccess: true, groups: true };
const NOGROUPS = { offlineAccess: false, groups: false };

test('escapeFilterValue escapes the RFC 4515 specials, and filters compose', () => {
  assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  assert.equal(escapeFilterValue('a\\b\0'), 'a\\5cb\\00');
  assert.equal(escapeFilterValue('jürgen.o\'brien'), 'jürgen.o\'brien');
  assert.equal(andEquals('(objectClass=person)', 'uid', 'x*'), '(&(objectClass=person)(uid=x\\2a))');
  assert.equal(andEquals(undefined, 'uid', 'x'), '(uid=x)');
});

test('config errors name the connector and the field', () => {
  const base = { host: 'ldap.example.org', userSearch: { baseDN: 'ou=People,dc=x', username: 'uid' } };
  assert.throws(() => parseLdapConfig({ ...base, host: undefined }, ctx), /connector "ldap" \(type ldap\): host: required/);
  assert.throws(() => parseLdapConfig({ ...base, userSearch: { baseDN: 'dc=x' } }, ctx), /userSearch\.username: required/);
  assert.throws(() => parseLdapConfig({ ...base, userSearch: { ...base.userSearch, filter: '(&(objectClass=person' } }, ctx), /userSearch\.filter: not a valid LDAP filter/);
  assert.throws(() => parseLdapConfig({ ...base, insecureNoSSL: 'yes' }, ctx), /insecureNoSSL: must be true or false/);
  assert.throws(() => parseLdapConfig({ ...base, groupSearch: { baseDN: 'ou=Groups,dc=x', nameAttr: 'cn' } }, ctx), /groupSearch\.userMatchers: required/);
  assert.throws(() => parseLdapConfig({ ...base, rootCA: '/nonexistent/ca.pem' }, ctx), /rootCA: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  // Dex's default ports and schemes
  assert.equal(parseLdapConfig(base, ctx).url, 'ldaps://ldap.example.org:636');
  assert.equal(parseLdapConfig({ ...base, insecureNoSSL: true }, ctx).url, 'ldap://ldap.example.org:389');
  assert.equal(parseLdapConfig({ ...base, startTLS: true, host: 'h:10389' }, ctx).url, 'ldap://h:10389');
  // the older groupSearch.userAttr/groupAttr form
  const g = parseLdapConfig({ ...base, groupSearch: { baseDN: 'ou=G', userAttr: 'DN', groupAttr: 'member', nameAttr: 'cn' } }, ctx).group!;
  assert.deepEqual(g.userMatchers, [{ userAttr: 'DN', groupAttr: 'member' }]);
});

test('a server that drops the connection, or does not speak TLS, is an error naming the URL', async () => {
  const srv = createServer((s) => { s.on('data', () => s.destroy()); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const cfg = { host: `127.0.0.1:${port}`, bindDN: 'cn=reader', bindPW: 'pw-not-shown', userSearch: { baseDN: 'dc=x', username: 'uid' } };
    const plain = (await CONNECTORS.ldap!({ ...cfg, insecureNoSSL: true }, ctx)) as PasswordConnector;
    await assert.rejects(plain.login(ALL, 'jane', 'x'), new RegExp(`ldap: bind as "cn=reader" failed: the connection to ldap://127\\.0\\.0\\.1:${port} was closed`));
    const tls = (await CONNECTORS.ldap!(cfg, ctx)) as PasswordConnector;
    await assert.rejects(tls.login(ALL, 'jane', 'x'), (e: Error) => e.message.startsWith(`ldap: cannot connect to ldaps://127.0.0.1:${port}:`) && !e.message.includes('pw-not-shown'));
  } finally {
    srv.close();
  }
});

const skip = slapdMissing();
if (skip) console.log(`# skipping the slapd tests: ${skip}`);

describe('ldap connector against a real slapd', { skip }, () => {
  let slapd: Slapd;
  const S = 'dc=example,dc=org';
  const people = `ou=People,${S}`;
  const groups = `ou=Groups,${S}`;
  const cfg = (over: Record<string, unknown> = {}) => ({
    host: `127.0.0.1:${slapd.port}`,
    insecureNoSSL: true,
    bindDN: `cn=reader,${S}`,
    bindPW: 'reader-pw',
    userSearch: { baseDN: people, filter: '(objectClass=inetOrgPerson)', username: 'uid', idAttr: 'uid', emailAttr: 'mail', nameAttr: 'cn', preferredUsernameAttr: 'uid' },
    groupSearch: {
      baseDN: groups, filter: '(|(objectClass=groupOfNames)(objectClass=posixGroup))', nameAttr: 'cn',
      userMatchers: [{ userAttr: 'DN', groupAttr: 'member' }, { userAttr: 'uid', groupAttr: 'memberUid' }],
    },
    ...over,
  });
  const connector = async (over: Record<string, unknown> = {}) => (await CONNECTORS.ldap!(cfg(over), ctx)) as PasswordConnector;
  const person = (uid: string, cn: string, pw: string, mail?: string) =>
    `dn: uid=${uid},${people}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${cn}\nsn: ${cn.split(' ').pop()}\n${mail ? `mail: ${mail}\n` : ''}userPassword: ${pw}\n`;

  before(async () => {
    slapd = await startSlapd({ suffix: S });
    await slapd.ldapadd([
      `dn: ${people}\nobjectClass: organizationalUnit\nou: People\n`,
      `dn: ${groups}\nobjectClass: organizationalUnit\nou: Groups\n`,
      `dn: cn=reader,${S}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: reader-pw\n`,
      person('jane', 'Jane Doe', 'jane-pw', 'jane@example.org'),
      person('john', 'John Smith', 'john-pw', 'john@example.org'),
      person('p(x)*', 'Paren Star', 'paren-pw', 'paren@example.org'),
      person('nomail', 'No Mail', 'nomail-pw'),
      `dn: cn=admins,${groups}\nobjectClass: groupOfNames\ncn: admins\nmember: uid=jane,${people}\n`,
      `dn: cn=developers,${groups}\nobjectClass: groupOfNames\ncn: developers\nmember: uid=jane,${people}\nmember: uid=john,${people}\n`,
      `dn: cn=ops,${groups}\nobjectClass: posixGroup\ncn: ops\ngidNumber: 500\nmemberUid: john\n`,
    ].join('\n'));
  });
  after(async () => { await slapd?.stop(); });

  test('a user logs in with their password and gets id, name, email and groups from both matchers', async () => {
    const c = await connector();
    assert.equal(c.kind, 'password');
    assert.equal(c.prompt(), 'Username');
    const jane = await c.login(ALL, 'jane', 'jane-pw');
    assert.ok(jane);
    assert.equal(jane.userID, 'jane');
    assert.equal(jane.username, 'Jane Doe');
    assert.equal(jane.preferredUsername, 'jane');
    assert.equal(jane.email, 'jane@example.org');
    assert.equal(jane.emailVerified, true);
    assert.deepEqual([...jane.groups].sort(), ['admins', 'developers']);
    const john = await c.login(ALL, 'john', 'john-pw');
    assert.deepEqual([...john!.groups].sort(), ['developers', 'ops']);
    // without the groups scope no group search is made
    assert.deepEqual((await c.login(NOGROUPS, 'john', 'john-pw'))!.groups, []);
  });

  test('a wrong password, an unknown user and an empty password are refused (undefined, not an error)', async () => {
    const c = await connector();
    assert.equal(await c.login(ALL, 'jane', 'wrong'), undefined);
    assert.equal(await c.login(ALL, 'nobody', 'jane-pw'), undefined);
    assert.equal(await c.login(ALL, 'jane', ''), undefined);
    assert.equal(await c.login(ALL, 'jane', 'john-pw'), undefined);
  });

  test('filter injection finds nobody; a uid with filter specials still logs in', async () => {
    const c = await connector();
    for (const u of ['*)(uid=*', '*', 'jane)(|(uid=*', 'j*', '*)(objectClass=*', 'jane\\', '\0']) {
      assert.equal(await c.login(ALL, u, 'jane-pw'), undefined, `username ${JSON.stringify(u)}`);
    }
    const p = await c.login(ALL, 'p(x)*', 'paren-pw');
    assert.equal(p?.userID, 'p(x)*');
    assert.equal(p?.email, 'paren@example.org');
  });

  test('groups of a group filter that escapes the user DN', async () => {
    const c = await connector();
    // the DN of p(x)* contains filter specials; the member filter must escape them and find no group
    const p = await c.login(ALL, 'p(x)*', 'paren-pw');
    assert.deepEqual(p!.groups, []);
    await slapd.ldapadd(`dn: cn=specials,${groups}\nobjectClass: groupOfNames\ncn: specials\nmember: uid=p(x)*,${people}\n`);
    assert.deepEqual((await c.login(ALL, 'p(x)*', 'paren-pw'))!.groups, ['specials']);
  });

  test('idAttr DN, emailSuffix, usernamePrompt; anonymous search without bindDN', async () => {
    const c = await connector({
      bindDN: undefined, bindPW: undefined, usernamePrompt: 'Email or uid',
      userSearch: { baseDN: people, username: 'uid', idAttr: 'DN', nameAttr: 'uid', emailSuffix: 'corp.example' },
    });
    assert.equal(c.prompt(), 'Email or uid');
    const j = await c.login(NOGROUPS, 'jane', 'jane-pw');
    assert.equal(j?.userID, `uid=jane,${people}`);
    assert.equal(j?.email, 'jane@corp.example');
  });

  test('a user without the email attribute is an error naming the entry and attribute', async () => {
    const c = await connector();
    await assert.rejects(c.login(ALL, 'nomail', 'nomail-pw'), /entry "uid=nomail,ou=People,dc=example,dc=org" lacks the required attribute\(s\) mail/);
  });

  test('a search matching several entries is an error; a refused bindDN is an error without the password', async () => {
    const several = await connector({ userSearch: { baseDN: people, username: 'objectClass', idAttr: 'uid', emailAttr: 'mail' } });
    await assert.rejects(several.login(ALL, 'inetOrgPerson', 'jane-pw'), /matched 4 entries \(expected one\)/);
    const bad = await connector({ bindPW: 'not-the-reader-pw' });
    await assert.rejects(bad.login(ALL, 'jane', 'jane-pw'), (e: Error) => {
      assert.match(e.message, /bindDN "cn=reader,dc=example,dc=org" was refused/);
      assert.ok(!e.message.includes('not-the-reader-pw'));
      return true;
    });
    assert.ok(!JSON.stringify(logs).includes('jane-pw'), 'passwords never logged');
  });

  test('refresh re-reads the user and their groups', async () => {
    const c = await connector();
    const john = (await c.login(ALL, 'john', 'john-pw')) as Identity;
    assert.deepEqual([...john.groups].sort(), ['developers', 'ops']);
    await slapd.ldapadd(`dn: cn=auditors,${groups}\nobjectClass: groupOfNames\ncn: auditors\nmember: uid=john,${people}\n`);
    const again = await c.refresh!(ALL, john);
    assert.deepEqual([...again.groups].sort(), ['auditors', 'developers', 'ops']);
    await assert.rejects(c.refresh!(ALL, { ...john, connectorData: { username: 'ghost', dn: 'uid=ghost' } }), /no longer exists/);
  });

  test('ldaps with rootCA; refused without it; insecureSkipVerify; StartTLS with rootCAData', async () => {
    const tlsHost = `127.0.0.1:${slapd.tlsPort}`;
    const viaCA = await connector({ host: tlsHost, insecureNoSSL: false, rootCA: slapd.cert.certFile });
    assert.equal((await viaCA.login(ALL, 'jane', 'jane-pw'))?.userID, 'jane');
    const noCA = await connector({ host: tlsHost, insecureNoSSL: false });
    await assert.rejects(noCA.login(ALL, 'jane', 'jane-pw'), /cannot connect to ldaps:\/\/127\.0\.0\.1:\d+: .*(self-signed|certificate)/i);
    const skipVerify = await connector({ host: tlsHost, insecureNoSSL: false, insecureSkipVerify: true });
    assert.equal((await skipVerify.login(ALL, 'jane', 'jane-pw'))?.userID, 'jane');
    const startTLS = await connector({ insecureNoSSL: false, startTLS: true, rootCAData: Buffer.from(slapd.cert.cert).toString('base64') });
    assert.deepEqual([...(await startTLS.login(ALL, 'jane', 'jane-pw'))!.groups].sort(), ['admins', 'developers']);
  });

  test('an unreachable server is an error naming the URL', async () => {
    const port = await freePort();
    const c = await connector({ host: `127.0.0.1:${port}` });
    await assert.rejects(c.login(ALL, 'jane', 'jane-pw'), new RegExp(`cannot connect to ldap://127\\.0\\.0\\.1:${port}`));
  });

  test('50 concurrent logins all succeed (and the sequential latency is printed)', async () => {
    const c = await connector();
    const seq: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      assert.ok(await c.login(ALL, 'jane', 'jane-pw'));
      seq.push(performance.now() - t);
    }
    seq.sort((a, b) => a - b);
    console.log(`# ldap login with groups (connect, 2 binds, 2 searches): p50 ${seq[10]!.toFixed(1)} ms of 20 sequential`);
    const t0 = performance.now();
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) => c.login(ALL, i % 2 ? 'jane' : 'john', i % 2 ? 'jane-pw' : 'john-pw')));
    const ms = performance.now() - t0;
    assert.equal(res.filter((r) => r?.groups.includes('developers')).length, 50);
    console.log(`# 50 concurrent ldap logins with groups: ${ms.toFixed(0)} ms`);
  });
});
