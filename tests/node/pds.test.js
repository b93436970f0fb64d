'use strict';
// The Identity API end to end against the real local PDS + PLC (ctest fixture `pds`) and an
// embedded store: webhook batches in, runJobs provisions the accounts, the PDS itself is asked
// what exists. Also a permanent failure: the alert callback, state `failed`, retryUser.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { acidentity, tempDir, pdsEnv, runLabel, logEntry, credentialsKey, pdsAccountInfo } = require('./support');

const { Identity, AcidentityError } = acidentity();
const TOKEN = 'pds-test-webhook-token';
const env = pdsEnv(); // fails (never skips) without the fixture

function config(dir, extra = {}) {
  return {
    storeUri: `sqlite:${dir}/store.db`,
    useEnvironment: false,
    pdsUrl: env.PDS_URL,
    pdsAdminPassword: env.PDS_ADMIN_PASSWORD,
    pdsHandleDomain: env.PDS_HANDLE_DOMAIN,
    auth0LogToken: TOKEN,
    credentialsKey: credentialsKey(),
    maxAttempts: 3,
    ...extra,
  };
}

async function drain(id) {
  const summaries = [];
  for (let i = 0; i < 20; i++) {
    const s = await id.runJobs({ budgetMs: 60_000, maxJobs: 50 });
    summaries.push(s);
    if (s.ran === 0) return summaries;
  }
  assert.fail(`jobs still running after 20 rounds: ${JSON.stringify(summaries)}`);
}

test('pdsDescribe answers from the real PDS', async (t) => {
  const id = await Identity.open(config(tempDir(t)));
  t.after(() => id.close());
  const d = await id.pdsDescribe();
  assert.equal(d.did, env.PDS_DID);
  assert.ok(JSON.stringify(d).includes(env.PDS_HANDLE_DOMAIN), JSON.stringify(d));
});

test('doctor: a complete set-up passes; a wrong admin password fails its check', async (t) => {
  const dir = tempDir(t);
  const good = await acidentity().doctor({ ...config(dir), sotceAuth0LogToken: 'sotce-token' });
  const failed = good.checks.filter((c) => c.status === 'fail');
  assert.deepEqual(failed, [], JSON.stringify(failed));
  assert.equal(good.ok, true);
  assert.equal(good.checks.find((c) => c.name === 'pds.admin_password').status, 'ok');
  const bad = await acidentity().doctor({ ...config(dir), pdsAdminPassword: 'not-the-admin-password' });
  assert.equal(bad.ok, false);
  assert.equal(bad.checks.find((c) => c.name === 'pds.admin_password').status, 'fail');
  assert.ok(!JSON.stringify(bad).includes('not-the-admin-password'), 'the secret is not echoed');
});

test('signups and verifications become PDS accounts (handles, fallbacks, duplicates)', async (t) => {
  const run = runLabel();
  const logs = [];
  const id = await Identity.open(config(tempDir(t), { onLog: (l) => logs.push(l) }));
  t.after(() => id.close());
  const users = {
    named: { sub: `auth0|${run}named`, handle: `n${run}` },
    plain: { sub: `auth0|${run}plain`, handle: null },
    short: { sub: `auth0|${run}short`, handle: '43' }, // too short for the PDS: the code instead
    unverified: { sub: `auth0|${run}unver`, handle: null },
  };
  const email = (u) => `${u.sub.slice(6)}@example.com`;
  const ss = Object.values(users).map((u, i) =>
    logEntry({ logId: `${run}-ss-${i}`, type: 'ss', userId: u.sub, email: email(u) }),
  );
  const sv = [users.named, users.plain, users.short].map((u, i) =>
    logEntry({ logId: `${run}-sv-${i}`, type: 'sv', userId: u.sub, email: email(u) }),
  );
  const post = (body) => id.handleAuth0Events({ headers: { authorization: TOKEN }, body });

  const first = await post(JSON.stringify(ss));
  assert.equal(first.status, 200, first.body);
  assert.equal(JSON.parse(first.body).codes_assigned, 4);
  await id.setHandle(users.named.sub, users.named.handle);
  await id.setHandle(users.short.sub, users.short.handle);
  // Verifications, with the signups redelivered (JSON lines) in the same period.
  const second = await post(JSON.stringify({ logs: sv }));
  assert.equal(JSON.parse(second.body).jobs_scheduled, 3, second.body);
  const again = await post(ss.map((e) => JSON.stringify(e)).join('\n'));
  assert.equal(JSON.parse(again.body).duplicates, 4, again.body);

  const summaries = await drain(id);
  const total = summaries.reduce((n, s) => n + s.done, 0);
  assert.equal(total, 3, JSON.stringify(summaries));

  for (const key of ['named', 'plain', 'short']) {
    const u = await id.getUser(users[key].sub);
    assert.equal(u.state, 'active', `${key}: ${JSON.stringify(u.last_error)}`);
    assert.match(u.did, /^did:plc:/);
    assert.equal(u.credentials, 'sealed');
    const expected = key === 'named' ? `${users.named.handle}.${env.PDS_HANDLE_DOMAIN}` : `${u.code}.${env.PDS_HANDLE_DOMAIN}`;
    assert.equal(u.pds_handle, expected, key);
    const info = await pdsAccountInfo(env, u.did);
    assert.ok(info, `the PDS knows ${u.did}`);
    assert.equal(info.handle, expected);
    assert.equal(info.email, email(users[key]));
  }
  const unverified = await id.getUser(users.unverified.sub);
  assert.equal(unverified.state, 'none');
  assert.equal(unverified.did, null);
  assert.ok(logs.some((l) => l.event === 'job.done'), 'job.done log lines reached onLog');
  assert.match(await id.metrics(), /acid_jobs_total\{kind="provision",outcome="done"\} 3/);
});

test('handleChanged moves the PDS handle; deleteUser deletes the account and keeps the code', async (t) => {
  const run = runLabel();
  const id = await Identity.open(config(tempDir(t), { handleChangedToken: 'handle-token' }));
  t.after(() => id.close());
  const sub = `auth0|${run}moves`;
  const email = `${run}moves@example.com`;
  const events = [
    logEntry({ logId: `${run}-ss`, type: 'ss', userId: sub, email }),
    logEntry({ logId: `${run}-sv`, type: 'sv', userId: sub, email }),
  ];
  const posted = await id.handleAuth0Events({ headers: { authorization: TOKEN }, body: JSON.stringify(events) });
  assert.equal(posted.status, 200, posted.body);
  await drain(id);
  const created = await id.getUser(sub);
  assert.equal(created.state, 'active', JSON.stringify(created.last_error));

  await id.handleChanged(sub, `m${run}`);
  await drain(id);
  const moved = await id.getUser(sub);
  assert.equal(moved.pds_handle, `m${run}.${env.PDS_HANDLE_DOMAIN}`);
  assert.equal((await pdsAccountInfo(env, moved.did)).handle, moved.pds_handle);

  // The HTTP form, as a Netlify function would call it.
  const request = (auth, body) => id.handleChangeRequest({ headers: { Authorization: auth }, body });
  assert.equal((await request('Bearer wrong', JSON.stringify({ sub, handle: `w${run}` }))).status, 403);
  assert.equal((await request('Bearer handle-token', '{"sub":1}')).status, 400);
  const ok = await request('Bearer handle-token', JSON.stringify({ sub, handle: `w${run}` }));
  assert.equal(ok.statusCode, 200, ok.body);
  await drain(id);
  assert.equal((await id.getUser(sub)).pds_handle, `w${run}.${env.PDS_HANDLE_DOMAIN}`);

  await id.deleteUser(sub);
  await drain(id);
  const gone = await id.getUser(sub);
  assert.equal(gone.state, 'deleted');
  assert.equal(gone.code, created.code);
  assert.equal(await pdsAccountInfo(env, created.did), null, 'the PDS account is deleted');
  await assert.rejects(id.deleteUser(`auth0|${run}nobody`), (e) => e instanceof AcidentityError && e.code === 'ACID_ENOTFOUND');
});

test('a permanent failure alerts, stores `failed`, and retryUser recovers it', async (t) => {
  const dir = tempDir(t);
  const run = runLabel();
  const sub = `auth0|${run}fail`;
  const alerts = [];
  const key = credentialsKey();
  const broken = await Identity.open(
    config(dir, { pdsAdminPassword: 'wrong-admin-password', maxAttempts: 1, credentialsKey: key, onAlert: (a) => alerts.push(a) }),
  );
  const body = JSON.stringify([
    logEntry({ logId: `${run}-1`, type: 'ss', userId: sub, email: `${run}fail@example.com` }),
    logEntry({ logId: `${run}-2`, type: 'sv', userId: sub, email: `${run}fail@example.com` }),
  ]);
  assert.equal((await broken.handleAuth0Events({ headers: { authorization: TOKEN }, body })).status, 200);
  const summary = await broken.runJobs({ budgetMs: 30_000, maxJobs: 5 });
  assert.equal(summary.failed, 1, JSON.stringify(summary));
  for (let i = 0; i < 50 && alerts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].sub, sub);
  assert.equal(alerts[0].attempts, 1);
  assert.equal(alerts[0].error.code, 'ACID_EAUTH', JSON.stringify(alerts[0]));
  const failed = await broken.getUser(sub);
  assert.equal(failed.state, 'failed');
  assert.equal(failed.last_error.code, 'ACID_EAUTH');
  await broken.retryUser(sub);
  assert.equal((await broken.getUser(sub)).state, 'pending');
  await assert.rejects(broken.retryUser(sub), (e) => e instanceof AcidentityError && e.code === 'ACID_ECONFLICT');
  await broken.close();

  const fixed = await Identity.open(config(dir, { credentialsKey: key }));
  t.after(() => fixed.close());
  await drain(fixed);
  const user = await fixed.getUser(sub);
  assert.equal(user.state, 'active', JSON.stringify(user.last_error));
  assert.ok(await pdsAccountInfo(env, user.did));
});

test('100 concurrent pdsDescribe/userCodeStats calls against the live stack', async (t) => {
  const id = await Identity.open(config(tempDir(t)));
  t.after(() => id.close());
  const calls = [];
  for (let i = 0; i < 100; i++) {
    calls.push(i % 2 ? id.pdsDescribe().then((d) => assert.equal(d.did, env.PDS_DID)) : id.userCodeStats());
  }
  assert.ok(id.pendingCalls >= 100);
  await Promise.all(calls);
});
