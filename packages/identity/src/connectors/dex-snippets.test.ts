/**
 * dex.config written the way Argo CD's and Dex's documentation show it (GitHub, GitHub Enterprise,
 * OpenLDAP, Microsoft with a tenant id, GitLab, LinkedIn) goes through argocd-cm → Dex config → the
 * connector factories unchanged: every connector builds, with the values and defaults Dex uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerConfig, generateDexConfig } from '../config.js';
import type { Connector, ConnectorContext } from '../connector.js';
import { CONNECTORS } from './index.js';
import { GithubConnector } from './github.js';
import { LdapConnector } from './ldap.js';
import { MicrosoftConnector } from './microsoft.js';
import { GitlabConnector } from './gitlab.js';

const DEX_CONFIG = `
connectors:
- type: github
  id: github
  name: GitHub
  config:
    clientID: aabbccddeeff00112233
    clientSecret: $dex.github.clientSecret
    orgs:
    - name: your-github-org
      teams:
      - red-team
- type: github
  id: acme-github
  name: Acme GitHub
  config:
    hostName: github.acme.example.com
    clientID: abcdefghijklmnopqrst
    clientSecret: $dex.acme.clientSecret
    orgs:
    - name: your-github-org
- type: ldap
  name: OpenLDAP
  id: ldap
  config:
    host: openldap.example.com:389
    insecureNoSSL: true
    insecureSkipVerify: true
    bindDN: "cn=admin,dc=example,dc=org"
    bindPW: $dex.ldap.bindPW
    usernamePrompt: Email Address
    userSearch:
      baseDN: ou=People,dc=example,dc=org
      filter: "(objectClass=person)"
      username: mail
      idAttr: DN
      emailAttr: mail
      nameAttr: cn
    groupSearch:
      baseDN: ou=Groups,dc=example,dc=org
      filter: "(objectClass=groupOfNames)"
      userMatchers:
      - userAttr: DN
        groupAttr: member
      nameAttr: cn
- type: microsoft
  id: microsoft
  name: Your Company GmbH
  config:
    clientID: $microsoft-application-id
    clientSecret: $microsoft-client-secret
    redirectURI: http://localhost:8080/api/dex/callback
    tenant: ffffffff-ffff-ffff-ffff-ffffffffffff
    groups:
      - DevOps
- type: gitlab
  id: gitlab
  name: GitLab
  config:
    baseURL: https://gitlab.com
    clientID: $dex.gitlab.clientID
    clientSecret: $dex.gitlab.clientSecret
    groups:
    - my-group
    useLoginAsID: false
- type: linkedin
  id: linkedin
  name: LinkedIn
  config:
    clientID: $dex.linkedin.clientID
    clientSecret: $dex.linkedin.clientSecret
`;

test('documentation-style dex.config for every connector of this tree builds unchanged', async () => {
  const secrets = {
    'server.secretkey': 'k', 'dex.github.clientSecret': 'gh-s', 'dex.acme.clientSecret': 'acme-s', 'dex.ldap.bindPW': 'ldap-s',
    'microsoft-application-id': 'ms-id', 'microsoft-client-secret': 'ms-s', 'dex.gitlab.clientID': 'gl-id', 'dex.gitlab.clientSecret': 'gl-s',
    'dex.linkedin.clientID': 'li-id', 'dex.linkedin.clientSecret': 'li-s',
  };
  const cfg = brokerConfig(generateDexConfig({ url: 'https://argocd.example.com', 'dex.config': DEX_CONFIG }, secrets)!);
  const built = new Map<string, Connector>();
  for (const entry of cfg.connectors) {
    const factory = CONNECTORS[entry.type];
    assert.ok(factory, `type ${entry.type} is registered`);
    const ctx: ConnectorContext = { id: entry.id, name: entry.name, issuer: cfg.issuer, callbackURL: `${cfg.issuer}/callback`, log: () => {} };
    built.set(entry.id, await factory(entry.config, ctx));
  }
  assert.deepEqual([...built.keys()], ['github', 'acme-github', 'ldap', 'microsoft', 'gitlab', 'linkedin']);

  const gh = built.get('github') as GithubConnector;
  assert.equal(gh.cfg.clientSecret, 'gh-s');
  assert.deepEqual(gh.cfg.orgs, [{ name: 'your-github-org', teams: ['red-team'] }]);
  assert.equal(gh.cfg.redirectURI, 'https://argocd.example.com/api/dex/callback', 'Argo CD sets redirectURI');
  assert.equal((built.get('acme-github') as GithubConnector).cfg.endpoints.apiURL, 'https://github.acme.example.com/api/v3');

  const ldap = built.get('ldap') as LdapConnector;
  assert.equal(ldap.cfg.url, 'ldap://openldap.example.com:389');
  assert.equal(ldap.cfg.bindPW, 'ldap-s');
  assert.equal(ldap.prompt(), 'Email Address');
  assert.equal(ldap.cfg.user.idAttr, 'DN');
  assert.equal(ldap.cfg.tls.rejectUnauthorized, false);

  const ms = built.get('microsoft') as MicrosoftConnector;
  assert.equal(ms.cfg.tenant, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
  assert.equal(ms.cfg.clientID, 'ms-id');
  assert.deepEqual(ms.cfg.groups, ['DevOps']);
  const msURL = new URL(((await ms.loginURL({ offlineAccess: false, groups: true }, 'unused', 's')) as { url: string }).url);
  assert.equal(msURL.pathname, '/ffffffff-ffff-ffff-ffff-ffffffffffff/oauth2/v2.0/authorize');

  const gl = built.get('gitlab') as GitlabConnector;
  assert.deepEqual(gl.cfg.groups, ['my-group']);
  assert.equal(gl.cfg.baseURL, 'https://gitlab.com');
});
