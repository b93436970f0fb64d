'use strict';
// The Identity API against a real embedded (SQLite) store: webhook intake, users, handles, codes,
// metrics, configuration errors, error codes, 100 calls in flight, and closing with work in flight.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { acidentity, tempDir, logEntry } = require('./support');

const acid = acidentity();
const { Identity, AcidentityError } = acid;
const TOKEN = 'webhook-token-for-tests';

function open(t, extra = {}) {
  const dir = tempDir(t);
  const id = new Identity({
    storeUri: `sqlite:${dir}/store.db`,
    useEnvironment: false,
    auth0LogToken: TOKEN,
    sotceAuth0LogToken: `${TOKEN}-sotce`,
    allowPlaintextCredentials: true,
    ...extra,
  });
  t.after(() => id.close());
  return { id, dir };
}

function isAcid(code) {
  return (e) => {
    assert.ok(e instanceof AcidentityError, `expected an AcidentityError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

test('configuration errors reject ready with ACID_ECONFIG / ACID_ESTORE', async (t) => {
  const bad = new Identity({ storeUri: 'bogus:x', useEnvironment: false });
  await assert.rejects(bad.ready, (e) => {
    isAcid('ACID_ECONFIG')(e);
    assert.deepEqual(e.detail.variables, ['ACID_STORE']);
    assert.equal(e.errno, -9);
    return true;
  });
  // Every call reports the same failure, and close() has nothing to do.
  await assert.rejects(bad.getUser('x'), isAcid('ACID_ECONFIG'));
  await bad.close();
  await assert.rejects(
    Identity.open({ storeUri: `sqlite:${tempDir(t)}/x.db`, pdsUrl: 'ftp://nope', useEnvironment: false }),
    (e) => isAcid('ACID_ECONFIG')(e) && /PDS_URL/.test(e.message),
  );
  await assert.rejects(
    Identity.open({ storeUri: 'sqlite:/nonexistent/dir/x.db', useEnvironment: false }),
    isAcid('ACID_ESTORE'),
  );
  // Shape errors are synchronous.
  assert.throws(() => new Identity({ storUri: 'x' }), isAcid('ACID_EINVAL'));
  assert.throws(() => new Identity({ storeUri: 42 }), TypeError);
  assert.throws(() => new Identity({ maxAttempts: 0 }), isAcid('ACID_EINVAL'));
  assert.throws(() => new Identity({ jobLeaseMs: 999 }), isAcid('ACID_EINVAL'));
  const leased = await Identity.open({ storeUri: `sqlite:${tempDir(t)}/l.db`, useEnvironment: false, jobLeaseMs: 1000, maxAttempts: 2 });
  await leased.close();
  assert.throws(() => new Identity({ onLog: 'nope' }), TypeError);
  assert.throws(() => new Identity('sqlite:x'), TypeError);
});

test('the environment fills unset settings when useEnvironment is true', async (t) => {
  const dir = tempDir(t);
  const saved = { ...process.env };
  t.after(() => {
    for (const k of ['ACID_STORE', 'AUTH0_LOG_TOKEN']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  process.env.ACID_STORE = `sqlite:${dir}/from-env.db`;
  process.env.AUTH0_LOG_TOKEN = 'env-token';
  const id = await Identity.open({ allowPlaintextCredentials: true });
  const body = JSON.stringify([logEntry({ logId: 'env-1', type: 'ss', userId: 'auth0|env', email: 'e@example.com' })]);
  const r = await id.handleAuth0Events({ headers: { authorization: 'env-token' }, body });
  assert.equal(r.status, 200, r.body);
  await id.close();
  // The explicit setting wins over the variable; useEnvironment:false ignores the variables.
  const off = await Identity.open({ storeUri: `sqlite:${dir}/other.db`, useEnvironment: false });
  const refused = await off.handleAuth0Events({ headers: { authorization: 'env-token' }, body });
  assert.equal(refused.status, 503, 'no token configured: fail closed');
  await off.close();
  const again = await Identity.open({ storeUri: `sqlite:${dir}/from-env.db`, useEnvironment: false });
  assert.equal((await again.getUser('auth0|env')).sub, 'auth0|env');
  await again.close();
});

test('handleAuth0Events: HTTP answers for every case, ready for Netlify', async (t) => {
  const { id } = open(t);
  const signup = (n) => logEntry({ logId: `log-ss-${n}`, type: 'ss', userId: `auth0|u${n}`, email: `u${n}@example.com` });
  const verify = (n) => logEntry({ logId: `log-sv-${n}`, type: 'sv', userId: `auth0|u${n}`, email: `u${n}@example.com` });
  const batch = JSON.stringify([signup(1), verify(1), signup(2), { log_id: 'bad', data: { type: 'ss', user_id: { no: 1 } } }]);

  const missing = await id.handleAuth0Events({ headers: {}, body: batch });
  assert.equal(missing.status, 401);
  const wrong = await id.handleAuth0Events({ headers: { authorization: 'nope' }, body: batch });
  assert.equal(wrong.status, 403);
  const malformed = await id.handleAuth0Events({ headers: { authorization: TOKEN }, body: '{not json' });
  assert.equal(malformed.status, 400);
  assert.equal(typeof JSON.parse(malformed.body).error, 'string');

  // The header name in any case; the body as a Buffer.
  const ok = await id.handleAuth0Events({ headers: { AUTHORIZATION: TOKEN }, body: Buffer.from(batch) });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.headers, { 'content-type': 'application/json' });
  const summary = JSON.parse(ok.body);
  assert.equal(summary.received, 4);
  assert.equal(summary.applied, 3);
  assert.equal(summary.codes_assigned, 2);
  assert.equal(summary.jobs_scheduled, 1);
  assert.equal(summary.rejected.length, 1);
  assert.equal(summary.rejected[0].log_id, 'bad');

  // Redelivery: duplicates, nothing applied twice. JSON lines and {logs} shapes, Bearer scheme,
  // a Headers object and a Uint8Array body.
  const lines = [signup(1), verify(1)].map((e) => JSON.stringify(e)).join('\n');
  const again = await id.handleAuth0Events({ headers: new Headers({ Authorization: `Bearer ${TOKEN}` }), body: lines });
  assert.equal(again.status, 200, again.body);
  assert.equal(JSON.parse(again.body).duplicates, 2);
  const wrapped = new TextEncoder().encode(JSON.stringify({ logs: [signup(2)] }));
  const third = await id.handleAuth0Events({ headers: { authorization: [TOKEN] }, body: wrapped });
  assert.equal(JSON.parse(third.body).duplicates, 1);

  // The sotce tenant has its own token and namespaced subs.
  const sotce = JSON.stringify([logEntry({ logId: 's-1', type: 'ss', userId: 'auth0|s1', email: 's1@example.com', tenant: 'sotce' })]);
  assert.equal((await id.handleAuth0Events({ headers: { authorization: TOKEN }, body: sotce, tenant: 'sotce' })).status, 403);
  const s = await id.handleAuth0Events({ headers: { authorization: `${TOKEN}-sotce` }, body: sotce, tenant: 'sotce' });
  assert.equal(s.status, 200, s.body);
  assert.equal((await id.getUser('sotce-auth0|s1')).sub, 'sotce-auth0|s1');

  await assert.rejects(id.handleAuth0Events({ headers: {}, body: '[]', tenant: 'other' }), isAcid('ACID_EINVAL'));
  await assert.rejects(id.handleAuth0Events({ headers: {}, body: '[]', tenant: 'toString' }), isAcid('ACID_EINVAL'));
  await assert.rejects(id.handleAuth0Events({ headers: {}, body: 42 }), TypeError);

  const u1 = await id.getUser('auth0|u1');
  assert.ok(acid.isValidUserCode(u1.code), u1.code);
  assert.match(u1.code, /^ac27/);
  assert.equal(u1.email_verified, true);
  assert.equal(u1.verifications, 1);
  assert.equal(u1.state, 'pending');
  assert.equal(u1.jobs.length, 1);
  const u2 = await id.getUser('auth0|u2');
  assert.notEqual(u2.code, u1.code);
  assert.equal(u2.email_verified, false);

  const metrics = await id.metrics();
  assert.match(metrics, /acid_webhook_requests_total\{status="200",tenant="aesthetic"\} 3/);
  assert.match(metrics, /acid_webhook_requests_total\{status="401",tenant="aesthetic"\} 1/);
});

test('users: getUser, setHandle, retryUser and their error codes', async (t) => {
  const { id } = open(t);
  const body = JSON.stringify([
    logEntry({ logId: 'a', type: 'ss', userId: 'auth0|alice', email: 'alice@example.com' }),
    logEntry({ logId: 'b', type: 'ss', userId: 'auth0|bob', email: 'bob@example.com' }),
  ]);
  assert.equal((await id.handleAuth0Events({ headers: { authorization: TOKEN }, body })).status, 200);

  async function namedCaller() {
    return await id.getUser('auth0|nobody');
  }
  await assert.rejects(namedCaller(), (e) => {
    isAcid('ACID_ENOTFOUND')(e);
    assert.equal(e.errno, -3);
    assert.match(e.stack, /namedCaller/, 'the JS stack names the caller');
    return true;
  });
  await assert.rejects(id.getUser(42), TypeError);
  await assert.rejects(id.getUser('auth0|a\0b'), isAcid('ACID_EINVAL'));

  await id.setHandle('auth0|alice', '@Alice');
  assert.equal((await id.getUser('auth0|alice')).handle, 'Alice');
  await assert.rejects(id.setHandle('auth0|bob', 'alice'), isAcid('ACID_ECONFLICT'));
  await assert.rejects(id.setHandle('auth0|bob', 'not a handle!'), isAcid('ACID_EINVAL'));
  await assert.rejects(id.setHandle('auth0|nobody', 'carol'), isAcid('ACID_ENOTFOUND'));
  await id.setHandle('auth0|alice', 'alice'); // her own handle in another case

  await assert.rejects(id.retryUser('auth0|alice'), isAcid('ACID_ECONFLICT'));
  await assert.rejects(id.retryUser('auth0|nobody'), isAcid('ACID_ENOTFOUND'));
  await assert.rejects(id.pdsDescribe(), (e) => isAcid('ACID_ECONFIG')(e) && e.detail.variables.includes('PDS_URL'));
});

test('runJobs validates its options and reports a summary', async (t) => {
  const { id } = open(t);
  const summary = await id.runJobs({ budgetMs: 1000, maxJobs: 10 });
  assert.deepEqual(summary, { ran: 0, done: 0, retried: 0, failed: 0, superseded: 0, remaining_due: false });
  await assert.rejects(id.runJobs({ budgetMs: -1 }), isAcid('ACID_EINVAL'));
  await assert.rejects(id.runJobs({ maxJobs: 1.5 }), isAcid('ACID_EINVAL'));
  // A verified user without a PDS configured: the job runs, fails for lack of configuration, and
  // is retried later (not lost).
  const body = JSON.stringify([
    logEntry({ logId: 'x1', type: 'ss', userId: 'auth0|x', email: 'x@example.com' }),
    logEntry({ logId: 'x2', type: 'sv', userId: 'auth0|x', email: 'x@example.com' }),
  ]);
  await id.handleAuth0Events({ headers: { authorization: TOKEN }, body });
  const ran = await id.runJobs({ budgetMs: 5000, maxJobs: 10 });
  assert.equal(ran.ran, 1);
  assert.equal(ran.retried, 1);
  const user = await id.getUser('auth0|x');
  assert.equal(user.last_error.code, 'ACID_ECONFIG');
});

test('user codes: allocation is unique under 100 concurrent calls; stats count them', async (t) => {
  const { id } = open(t);
  const calls = [];
  for (let i = 0; i < 100; i++) calls.push(id.allocateUserCode(new Date(Date.UTC(2025, 2, 1 + (i % 28)))));
  assert.ok(id.pendingCalls >= 100, `all 100 calls are in flight at once (${id.pendingCalls})`);
  const codes = await Promise.all(calls);
  assert.equal(new Set(codes).size, 100);
  for (const c of codes) assert.match(c, /^ac25/);
  await id.allocateUserCode('2024-05-05T00:00:00Z');
  await id.allocateUserCode(Date.UTC(2024, 4, 5));
  const y25 = await id.userCodeStats(2025);
  assert.equal(y25.years.length, 1);
  assert.equal(y25.years[0].year, 25);
  assert.equal(y25.years[0].allocated, 100);
  assert.equal(y25.years[0].capacity, acid.USER_CODES_PER_YEAR);
  assert.equal((await id.userCodeStats(24)).years[0].allocated, 2);
  const all = await id.userCodeStats();
  assert.deepEqual(all.years.map((y) => y.year).sort(), [24, 25]);
  await assert.rejects(id.userCodeStats(1999), isAcid('ACID_EINVAL'));
  await assert.rejects(id.allocateUserCode('garbage'), isAcid('ACID_EINVAL'));
});

test('100 mixed calls in flight settle correctly', async (t) => {
  const { id } = open(t);
  const body = JSON.stringify(
    Array.from({ length: 20 }, (_, i) => logEntry({ logId: `m${i}`, type: 'ss', userId: `auth0|m${i}`, email: `m${i}@example.com` })),
  );
  await id.handleAuth0Events({ headers: { authorization: TOKEN }, body });
  const work = [];
  for (let i = 0; i < 100; i++) {
    switch (i % 4) {
      case 0:
        work.push(id.getUser(`auth0|m${i % 20}`).then((u) => assert.equal(u.sub, `auth0|m${i % 20}`)));
        break;
      case 1:
        work.push(assert.rejects(id.getUser(`auth0|missing${i}`), isAcid('ACID_ENOTFOUND')));
        break;
      case 2:
        work.push(id.userCodeStats(2025).then((s) => assert.equal(s.years[0].year, 25)));
        break;
      default:
        work.push(id.metrics().then((m) => assert.match(m, /acid_webhook_requests_total/)));
    }
  }
  assert.ok(id.pendingCalls >= 100);
  await Promise.all(work);
  assert.equal(id.pendingCalls, 0);
});

test('log lines reach onLog on the main thread, parsed', async (t) => {
  const lines = [];
  const { id } = open(t, { onLog: (line) => lines.push(line) });
  await id.ready;
  const body = JSON.stringify([logEntry({ logId: 'l1', type: 'ss', userId: 'auth0|log', email: 'log@example.com' })]);
  await id.handleAuth0Events({ headers: { authorization: TOKEN }, body });
  await id.setHandle('auth0|log', 'logger');
  // Delivery is asynchronous (a thread-safe function): wait a few turns of the loop.
  for (let i = 0; i < 50 && !lines.some((l) => l.event === 'user.handle'); i++) await new Promise((r) => setTimeout(r, 10));
  const handleLine = lines.find((l) => l.event === 'user.handle');
  assert.ok(handleLine, `a user.handle line among ${JSON.stringify(lines.map((l) => l.event))}`);
  assert.equal(handleLine.sub, 'auth0|log');
  assert.ok(lines.every((l) => typeof l === 'object' && typeof l.event === 'string'));
});

test('close(): idempotent, later calls reject ACID_ECLOSED, data persists', async (t) => {
  const { id, dir } = open(t);
  await id.allocateUserCode('2025-01-01');
  const first = id.close();
  assert.equal(id.close(), first, 'close() returns the same promise');
  assert.equal(id.closed, true);
  await first;
  await assert.rejects(id.getUser('x'), (e) => isAcid('ACID_ECLOSED')(e) && e.errno === null);
  await assert.rejects(id.metrics(), isAcid('ACID_ECLOSED'));
  await id.close();
  const reopened = await Identity.open({ storeUri: `sqlite:${dir}/store.db`, useEnvironment: false });
  assert.equal((await reopened.userCodeStats(2025)).years[0].allocated, 1);
  await reopened.close();
});

test('close() with 200 calls in flight: they all finish first, then the store closes', async (t) => {
  const { id } = open(t);
  await id.ready;
  const settled = [];
  const calls = [];
  for (let i = 0; i < 200; i++) {
    const p = i % 2 ? id.allocateUserCode(Date.UTC(2025, 0, 1)) : id.userCodeStats(2025);
    calls.push(p.then(() => settled.push(i)));
  }
  const closing = id.close().then(() => settled.push('closed'));
  await assert.rejects(id.getUser('late'), isAcid('ACID_ECLOSED'));
  await Promise.all([...calls, closing]);
  assert.equal(settled.length, 201);
  assert.equal(settled[settled.length - 1], 'closed', 'close settles after every call made before it');
});

test('close() while still opening: calls made before it complete, then it closes', async (t) => {
  const dir = tempDir(t);
  const id = new Identity({ storeUri: `sqlite:${dir}/s.db`, useEnvironment: false });
  const code = id.allocateUserCode('2025-03-03'); // issued before open finished
  const stats = id.userCodeStats(2025);
  const closing = id.close();
  assert.match(await code, /^ac25/);
  assert.equal((await stats).years[0].year, 25);
  await closing;
  await assert.rejects(id.allocateUserCode('2025-03-03'), isAcid('ACID_ECLOSED'));
});

test('doctor checks a set-up without opening a client', async (t) => {
  const dir = tempDir(t);
  const report = await acid.doctor({ storeUri: `sqlite:${dir}/doc.db`, useEnvironment: false });
  const status = (name) => report.checks.find((c) => c.name === name)?.status;
  assert.equal(report.ok, false);
  assert.equal(status('config'), 'ok');
  assert.equal(status('store'), 'ok');
  assert.equal(status('pds'), 'fail');
  assert.equal(status('credentials_key'), 'fail');
  assert.equal(status('auth0.aesthetic.webhook_token'), 'fail');
  for (const c of report.checks) {
    assert.ok(['ok', 'warn', 'fail'].includes(c.status), JSON.stringify(c));
    assert.equal(typeof c.message, 'string');
  }
  // A malformed setting is a failed check, not a rejection; the secret never appears.
  const bad = await acid.doctor({ storeUri: 'bogus:x', auth0LogToken: 'do-not-print-me', useEnvironment: false });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.checks.find((c) => c.name === 'config').detail.variables, ['ACID_STORE']);
  assert.ok(!JSON.stringify(bad).includes('do-not-print-me'));
  await assert.rejects(acid.doctor({}, { fix: 'yes' }), TypeError);
  await assert.rejects(acid.doctor({ nope: 1 }), isAcid('ACID_EINVAL'));
});
