#!/usr/bin/env node
// SSO broker benchmark (issue 14 targets):
//   a full OIDC code flow through the broker (authorization request → login page → connector →
//   code → token exchange with ID token validation by openid-client), p50           (target < 150 ms)
//   100 concurrent logins                                                           (target: no errors)
// Connectors: `ldap` against a real slapd (service bind, user search, user bind, group search per
// login; skipped with the reason when slapd is not installed), `oidc` against an independent upstream
// oidc-provider process (two logins per flow: the upstream's form and the broker's), and a password
// connector answering from memory (the broker's own cost). Each flow is a fresh browser.
// Run after `npm run build`: node bench/sso.bench.mjs   (BENCH_SSO_N sequential flows, default 60)
const root = new URL('..', import.meta.url).pathname;
const { startBroker, clientFor, codeFlow, upstreamLogin } = await import(`${root}packages/identity/dist/testing/harness.js`);
const { startUpstreamIdP } = await import(`${root}packages/identity/dist/testing/upstream-idp.js`);
const { brokerConfig, generateDexConfig } = await import(`${root}packages/identity/dist/config.js`);
const { dexClientSecret } = await import(`${root}packages/identity/dist/secret.js`);
const { CONNECTORS } = await import(`${root}packages/identity/dist/connectors/index.js`);
const slapdKit = await import(`${root}packages/identity/dist/connectors/testing/slapd.js`).catch(() => undefined);

const N = Number(process.env.BENCH_SSO_N ?? 60);
const CONCURRENT = 100;
const KEY = 'bench-server-key';
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

const memoryPassword = () => ({
  kind: 'password',
  prompt: () => 'Username',
  async login(_s, u, p) {
    return u === 'alice' && p === 'alice-pw' ? { userID: 'alice-0001', username: 'Alice', email: 'alice@example.com', emailVerified: true, groups: ['devs'] } : undefined;
  },
});

let rb;
const idpHolder = {};
rb = await startBroker((base) => brokerConfig(generateDexConfig({ url: base, 'dex.config': 'connectors: []' }, { 'server.secretkey': KEY })), {
  factories: { ...CONNECTORS, memory: memoryPassword },
});
const idp = await startUpstreamIdP({ clients: [{ client_id: 'broker', client_secret: 'up-secret', redirect_uris: [`${rb.issuer}/callback`], grant_types: ['authorization_code'], response_types: ['code'] }] });
idpHolder.idp = idp;
const S = 'dc=bench,dc=example,dc=org';
let slapd;
const noSlapd = slapdKit ? slapdKit.slapdMissing() : 'the ldap connector is not in this tree';
if (noSlapd) console.log(`ldap: skipped (${noSlapd})`);
else {
  slapd = await slapdKit.startSlapd({ suffix: S });
  await slapd.ldapadd([
    `dn: ou=People,${S}\nobjectClass: organizationalUnit\nou: People\n`,
    `dn: ou=Groups,${S}\nobjectClass: organizationalUnit\nou: Groups\n`,
    `dn: cn=reader,${S}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: reader-pw\n`,
    `dn: uid=alice,ou=People,${S}\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice\nsn: A\nmail: alice@example.org\nuserPassword: alice-pw\n`,
    `dn: cn=devs,ou=Groups,${S}\nobjectClass: groupOfNames\ncn: devs\nmember: uid=alice,ou=People,${S}\n`,
  ].join('\n'));
}
const ldapConfig = () => `connectors:
- type: ldap
  id: ldap
  name: LDAP
  config:
    host: 127.0.0.1:${slapd.port}
    insecureNoSSL: true
    bindDN: cn=reader,${S}
    bindPW: reader-pw
    userSearch: {baseDN: "ou=People,${S}", filter: "(objectClass=inetOrgPerson)", username: uid, idAttr: uid, emailAttr: mail, nameAttr: cn}
    groupSearch: {baseDN: "ou=Groups,${S}", filter: "(objectClass=groupOfNames)", userMatchers: [{userAttr: DN, groupAttr: member}], nameAttr: cn}
`;
const results = [];
let failed = false;
try {
  for (const [label, dexConfig, loginPage] of [
    ...(slapd ? [['ldap (real slapd)', ldapConfig(), (b, page) => b.submit(page, { login: 'alice', password: 'alice-pw' })]] : []),
    ['oidc (upstream oidc-provider process)', `connectors:\n- {type: oidc, id: up, name: Upstream, config: {issuer: ${idp.issuer}, clientID: broker, clientSecret: up-secret, insecureEnableGroups: true, scopes: [profile, email, groups]}}`, upstreamLogin('alice', 'alice-pw')],
    ['password connector (in memory)', 'connectors:\n- {type: memory, id: mem, name: Memory}', (b, page) => b.submit(page, { login: 'alice', password: 'alice-pw' })],
  ]) {
    await rb.broker.configure(brokerConfig(generateDexConfig({ url: rb.base, 'dex.config': dexConfig }, { 'server.secretkey': KEY })));
    const client = await clientFor(rb.issuer, 'argo-cd', dexClientSecret(KEY), `${rb.base}/auth/callback`);
    for (let i = 0; i < 5; i++) await codeFlow(client, { loginPage }); // warm up
    const times = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const { claims } = await codeFlow(client, { loginPage });
      times.push(performance.now() - t0);
      if (!claims.email) throw new Error('no email claim');
    }
    const t0 = performance.now();
    const all = await Promise.allSettled(Array.from({ length: CONCURRENT }, () => codeFlow(client, { loginPage })));
    const wall = performance.now() - t0;
    const errors = all.filter((r) => r.status === 'rejected');
    const p50 = pct(times, 50);
    console.log(`${label}: code flow p50 ${fmt(p50)}, p95 ${fmt(pct(times, 95))} (${N} flows); ${CONCURRENT} concurrent logins: ${CONCURRENT - errors.length} ok, ${errors.length} errors, ${fmt(wall)} wall`);
    if (errors.length) console.log(`  first error: ${errors[0].reason?.message}`);
    results.push({ label, p50, errors: errors.length });
    if (p50 >= 150 || errors.length) failed = true;
  }
} finally {
  await rb.close();
  await idp.stop();
  await slapd?.stop();
}
console.log(failed ? 'FAIL: a target was missed' : 'targets met (p50 < 150 ms, 100 concurrent logins without errors)');
process.exit(failed ? 1 : 0);
