'use strict';
// Credentials for the rest of aesthetic.computer, through the Node binding, on the real local
// PDS + PLC (ctest fixture `pds`): a sealed account's pdsCredentials log in with createSession
// (as the deployed AtpAgent.login does), a pdsSession's accessJwt creates a record, a second call
// returns the cached session; the typed errors; and sealing only on purpose (a plaintext
// password stays plaintext through jobs and backfill until sealCredentials).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { acidentity, tempDir, pdsEnv, runLabel, logEntry, credentialsKey } = require('./support');

const { Identity, AcidentityError } = acidentity();
const TOKEN = 'credentials-test-webhook-token';
const env = pdsEnv(); // fails (never skips) without the fixture

function config(dir, extra = {}) {
  return {
    storeUri: `sqlite:${dir}/store.db`,
    useEnvironment: false,
    pdsUrl: env.PDS_URL,
    pdsAdminPassword: env.PDS_ADMIN_PASSWORD,
    pdsHandleDomain: env.PDS_HANDLE_DOMAIN,
    auth0LogToken: TOKEN,
    maxAttempts: 3,
    ...extra,
  };
}

async function drain(id) {
  for (let i = 0; i < 20; i++) {
    const s = await id.runJobs({ budgetMs: 60_000, maxJobs: 50 });
    if (s.ran === 0) return;
  }
  assert.fail('jobs still running after 20 rounds');
}

// Signup (+ verification) through the webhook, then the jobs.
async function person(id, run, name, verify = true) {
  const sub = `auth0|${run}${name}`;
  const email = `${run}${name}@example.com`;
  const entries = [logEntry({ logId: `${run}${name}-ss`, type: 'ss', userId: sub, email, date: '2030-10-14T08:30:00.000Z' })];
  if (verify) entries.push(logEntry({ logId: `${run}${name}-sv`, type: 'sv', userId: sub, email, date: '2030-10-14T08:30:00.000Z' }));
  const r = await id.handleAuth0Events({ headers: { authorization: TOKEN }, body: JSON.stringify(entries) });
  assert.equal(r.status, 200, r.body);
  await drain(id);
  return sub;
}

async function xrpc(service, nsid, body, accessJwt) {
  const headers = { 'content-type': 'application/json' };
  if (accessJwt) headers.authorization = `Bearer ${accessJwt}`;
  const res = await fetch(`${service}/xrpc/${nsid}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('a sealed account: pdsCredentials log in, a pdsSession token creates a record, the session is cached', async (t) => {
  const run = runLabel();
  const id = await Identity.open(config(tempDir(t), { credentialsKey: credentialsKey() }));
  t.after(() => id.close());
  const sub = await person(id, run, 'seal');
  assert.equal((await id.getUser(sub)).credentials, 'sealed');

  const creds = await id.pdsCredentials(sub);
  assert.equal(creds.service, env.PDS_URL);
  assert.match(creds.did, /^did:plc:/);
  assert.ok(!creds.password.startsWith('acid:'), 'the password is opened');
  assert.ok(creds.handle.endsWith(`.${env.PDS_HANDLE_DOMAIN}`), creds.handle);
  // What mood-atproto.mjs does: AtpAgent.login({ identifier: did, password }).
  const login = await xrpc(creds.service, 'com.atproto.server.createSession', {
    identifier: creds.did,
    password: creds.password,
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(login.body.did, creds.did);

  const session = await id.pdsSession(sub);
  assert.deepEqual(Object.keys(session).sort(), ['accessJwt', 'did', 'handle', 'refreshJwt', 'service']);
  assert.equal(session.did, creds.did);
  const created = await xrpc(
    session.service,
    'com.atproto.repo.createRecord',
    {
      repo: session.did,
      collection: 'computer.aesthetic.mood',
      record: { $type: 'computer.aesthetic.mood', mood: 'posted with a library session', when: new Date().toISOString(), ref: run },
    },
    session.accessJwt,
  );
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.ok(created.body.uri.startsWith(`at://${session.did}/computer.aesthetic.mood/`), created.body.uri);

  // The second call is the cached session (a new login would carry a new refresh token).
  const again = await id.pdsSession(sub);
  assert.equal(again.accessJwt, session.accessJwt);
  assert.equal(again.refreshJwt, session.refreshJwt);

  // Concurrent first calls for another person share one login.
  const other = await person(id, run, 'many');
  const sessions = await Promise.all(Array.from({ length: 6 }, () => id.pdsSession(other)));
  assert.equal(new Set(sessions.map((s) => s.refreshJwt)).size, 1);
});

test('typed errors: unknown user, no account yet, a key that cannot open the value', async (t) => {
  const run = runLabel();
  const dir = tempDir(t);
  const id = await Identity.open(config(dir, { credentialsKey: credentialsKey() }));
  t.after(() => id.close());
  const unverified = await person(id, run, 'unver', false);
  const sub = await person(id, run, 'pw');

  await assert.rejects(id.pdsCredentials(`auth0|${run}nobody`), (e) => e instanceof AcidentityError && e.code === 'ACID_ENOTFOUND');
  await assert.rejects(id.pdsSession(`auth0|${run}nobody`), { code: 'ACID_ENOTFOUND' });
  await assert.rejects(id.pdsCredentials(unverified), (e) => {
    assert.equal(e.code, 'ACID_ENOACCOUNT');
    assert.equal(e.detail.reason, 'no_did');
    return true;
  });
  await assert.rejects(id.pdsSession(unverified), { code: 'ACID_ENOACCOUNT' });
  await assert.rejects(id.pdsCredentials(42), { code: 'ERR_INVALID_ARG_TYPE' });

  const wrongKey = await Identity.open(config(dir, { credentialsKey: credentialsKey() }));
  t.after(() => wrongKey.close());
  await assert.rejects(wrongKey.pdsCredentials(sub), (e) => {
    assert.equal(e.code, 'ACID_ESEALED');
    assert.equal(e.detail.reason, 'unknown_key');
    return true;
  });
  await assert.rejects(wrongKey.pdsSession(sub), { code: 'ACID_ESEALED' });
});

test('a plaintext password stays plaintext through jobs and backfill until sealCredentials', async (t) => {
  const run = runLabel();
  const dir = tempDir(t);
  // The deployed format: a password stored unsealed (compatibility mode, no key).
  const legacy = await Identity.open(config(dir, { allowPlaintextCredentials: true }));
  const sub = await person(legacy, run, 'plain');
  const { password, did } = await legacy.pdsCredentials(sub);
  await legacy.close();

  const id = await Identity.open(config(dir, { credentialsKey: credentialsKey() }));
  t.after(() => id.close());
  assert.equal((await id.getUser(sub)).credentials, 'plaintext');
  let status = await id.credentialsStatus();
  assert.equal(status.plaintext, 1);
  assert.equal(status.sealed, 0);

  await id.handleChanged(sub, `p${run}`);
  await drain(id);
  const report = await id.backfill({ user: sub, fix: true });
  const plaintext = report.audit.findings.find((f) => f.kind === 'plaintext_credentials');
  assert.ok(plaintext, JSON.stringify(report.audit.findings));
  assert.equal(plaintext.action, 'manual');
  assert.match(plaintext.fix, /acidentity credentials seal --user/);
  assert.equal((await id.getUser(sub)).credentials, 'plaintext');
  assert.equal((await id.pdsCredentials(sub)).password, password);

  const dry = await id.sealCredentials({ user: sub, dryRun: true });
  assert.equal(dry.would_seal, 1);
  assert.equal((await id.credentialsStatus()).plaintext, 1);
  await assert.rejects(id.sealCredentials({ user: 'art-guest' }), { code: 'ACID_EINVAL' });

  const sealed = await id.sealCredentials({ all: true });
  assert.equal(sealed.sealed, 1);
  assert.deepEqual(sealed.failed, []);
  status = await id.credentialsStatus();
  assert.equal(status.plaintext, 0);
  assert.equal(status.sealed, 1);
  assert.equal((await id.getUser(sub)).credentials, 'sealed');
  const creds = await id.pdsCredentials(sub);
  assert.equal(creds.password, password);
  const login = await xrpc(creds.service, 'com.atproto.server.createSession', { identifier: did, password });
  assert.equal(login.status, 200, JSON.stringify(login.body));
});
