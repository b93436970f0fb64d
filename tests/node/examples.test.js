'use strict';
// The Netlify site (examples/netlify-site) end to end: it is copied to a scratch folder with
// node_modules/acidentity linked to the built package, configured through the environment as on
// Netlify, and driven with a realistic Auth0 delivery (signups and verifications of several
// users, redeliveries, out-of-order and malformed entries). The scheduled function's runJobs then
// provisions the accounts on the real local PDS, and the handle function sets a handle first
// (a local HTTP stand-in answers Auth0's /userinfo, the only service faked here).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { packageDir, acidentity, tempDir, pdsEnv, runLabel, logEntry, credentialsKey, pdsAccountInfo } = require('./support');

const env = pdsEnv(); // fails (never skips) without the fixture
const TOKEN = 'examples-webhook-token';
const examplesSource = path.resolve(__dirname, '..', '..', 'examples', 'netlify-site');

// Auth0's /userinfo for bearer tokens this test hands out: token -> profile.
async function startUserinfo(t, profiles) {
  const server = http.createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.url !== '/userinfo' || !profiles[token]) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(profiles[token]));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${server.address().port}`;
}

// examples/netlify-site copied next to a node_modules/acidentity link to the package under test.
function installExamples(t) {
  const dir = tempDir(t, 'acid-examples-');
  fs.cpSync(examplesSource, path.join(dir, 'site'), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}node_modules`),
  });
  fs.mkdirSync(path.join(dir, 'site', 'node_modules'));
  fs.symlinkSync(packageDir, path.join(dir, 'site', 'node_modules', 'acidentity'), 'dir');
  return path.join(dir, 'site');
}

function setEnv(t, vars) {
  const saved = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test('Netlify functions: webhook batch, handles, scheduled runJobs, accounts on the PDS', async (t) => {
  const run = runLabel();
  const root = installExamples(t);
  const store = tempDir(t, 'acid-examples-store-');
  const people = ['ada', 'bea', 'cy', 'dot', 'eve', 'fay'].map((name) => ({
    name,
    sub: `auth0|${run}${name}`,
    email: `${run}${name}@example.com`,
    token: `token-${run}-${name}`,
  }));
  // eve never verifies her email; fay has an Auth0 login but no log event ever arrives.
  const [ada, bea, cy, dot, eve, fay] = people;
  const profiles = {};
  for (const p of people) profiles[p.token] = { sub: p.sub, email: p.email, email_verified: p !== eve };
  const auth0 = await startUserinfo(t, profiles);
  setEnv(t, {
    ACID_STORE: `sqlite:${store}/store.db`,
    PDS_URL: env.PDS_URL,
    PDS_ADMIN_PASSWORD: env.PDS_ADMIN_PASSWORD,
    ACID_PDS_HANDLE_DOMAIN: env.PDS_HANDLE_DOMAIN,
    AUTH0_LOG_TOKEN: TOKEN,
    ACID_CREDENTIALS_KEY: credentialsKey(),
    ACID_AUTH0_BASE_URL: auth0,
    ACID_CONTENT_MIRROR_TOKEN: 'content-mirror-token',
    ACID_JOBS_BUDGET_MS: '25000', // the most the function takes (its limit is 30 s)
  });

  const functions = path.join(root, 'netlify', 'functions');
  const events = await import(path.join(functions, 'auth0-events.mjs'));
  const handleFn = await import(path.join(functions, 'handle.mjs'));
  const jobs = await import(path.join(functions, 'scheduled-jobs.mjs'));
  const contentFn = await import(path.join(functions, 'content-mirror.mjs'));
  const shared = await import(path.join(root, 'lib', 'shared.mjs'));
  t.after(() => shared.closeIdentity());
  assert.deepEqual(jobs.config, { schedule: '*/5 * * * *' });

  const post = (body, headers = { authorization: TOKEN }, extra = {}) =>
    events.handler({ httpMethod: 'POST', path: '/.netlify/functions/auth0-events', headers, body, isBase64Encoded: false, ...extra });
  const entry = (p, type) => logEntry({ logId: `${run}-${type}-${p.name}`, type, userId: p.sub, email: p.email });

  // Requests Auth0 never sends, or sends wrongly.
  assert.equal((await events.handler({ httpMethod: 'GET', headers: {} })).statusCode, 405);
  assert.equal((await post('[]', { authorization: 'wrong' })).statusCode, 403);
  assert.equal((await post('[]', {})).statusCode, 401);
  assert.equal((await post('{"logs": 5}')).statusCode, 400);

  // Batch 1: five signups, a login (ignored type), a malformed entry, and dot's verification
  // arriving before her signup would in batch 2.
  const login = { log_id: `${run}-login`, data: { type: 's', date: '2025-10-14T09:00:00.000Z', user_id: ada.sub } };
  const malformed = { log_id: `${run}-bad`, data: { type: 'ss', user_id: 17 } };
  const batch1 = [ada, bea, cy, eve].map((p, i) => entry(p, 'ss', i));
  batch1.push(entry(dot, 'sv', 3), login, malformed);
  const r1 = await post(JSON.stringify(batch1));
  assert.equal(r1.statusCode, 200, r1.body);
  const s1 = JSON.parse(r1.body);
  assert.equal(s1.received, 7);
  assert.equal(s1.ignored, 1);
  assert.equal(s1.rejected.length, 1);
  assert.equal(s1.rejected[0].log_id, `${run}-bad`);

  // Handles, through the handle function (Auth0 bearer tokens).
  const setHandle = (p, handle, headers = { authorization: `Bearer ${p.token}` }) =>
    handleFn.handler({ httpMethod: 'POST', headers, body: JSON.stringify({ handle }) });
  const h1 = await setHandle(ada, `@a${run}`);
  assert.equal(h1.statusCode, 200, h1.body);
  assert.equal(JSON.parse(h1.body).handle, `a${run}`);
  const taken = await setHandle(bea, `A${run}`);
  assert.equal(taken.statusCode, 500, 'taken, case-insensitively (the deployed status)');
  assert.deepEqual(JSON.parse(taken.body), { message: 'taken' });
  const invalid = await setHandle(bea, 'no spaces allowed');
  assert.equal(invalid.statusCode, 400);
  assert.deepEqual(JSON.parse(invalid.body), { message: 'invalid' });
  // What the deployed endpoint gives another meaning to is refused, never read as a handle change.
  const hook = (body, p = ada) =>
    handleFn.handler({ httpMethod: 'POST', headers: { authorization: `Bearer ${p.token}` }, body: JSON.stringify(body) });
  const strip = await hook({ handle: `a${run}`, action: 'strip' });
  assert.equal(strip.statusCode, 400);
  assert.match(JSON.parse(strip.body).message, /^unsupported: admin actions/);
  const sotce = await hook({ handle: `s${run}`, tenant: 'sotce' });
  assert.equal(sotce.statusCode, 400);
  assert.match(JSON.parse(sotce.body).message, /^unsupported: .*tenant/);
  assert.equal((await handleFn.handler({ httpMethod: 'GET', headers: {} })).statusCode, 405);
  assert.equal((await setHandle(eve, `e${run}`)).statusCode, 401, 'unverified email');
  assert.equal((await setHandle(ada, 'x', { authorization: 'Bearer forged' })).statusCode, 401);
  assert.equal((await setHandle(ada, 'x', {})).statusCode, 401);
  assert.equal((await setHandle(fay, `f${run}`)).statusCode, 404, 'no user record without any event');
  // dot's verification arrived before her signup: her record exists, so her handle can be set.
  const h2 = await setHandle(dot, `d${run}`);
  assert.equal(h2.statusCode, 200, h2.body);

  // Batch 2 (Netlify functions v2 entry point, JSON lines): verifications, dot's signup, and all
  // of batch 1 redelivered.
  const batch2 = [entry(ada, 'sv', 0), entry(bea, 'sv', 1), entry(cy, 'sv', 2), entry(dot, 'ss', 3), ...batch1];
  const response = await events.default(
    new Request('http://localhost/.netlify/functions/auth0-events', {
      method: 'POST',
      headers: { Authorization: TOKEN, 'content-type': 'application/json' },
      body: batch2.map((e) => JSON.stringify(e)).join('\n'),
    }),
  );
  assert.equal(response.status, 200);
  const s2 = await response.json();
  assert.equal(s2.duplicates, 5, JSON.stringify(s2)); // batch 1's five valid handled entries
  assert.equal(s2.applied, 4, JSON.stringify(s2));

  // The scheduled function provisions everyone verified.
  let done = 0;
  for (let i = 0; i < 10; i++) {
    const res = await jobs.default();
    assert.equal(res.status, 200);
    const summary = await res.json();
    done += summary.done;
    if (summary.ran === 0) break;
  }
  assert.equal(done, 4, 'ada, bea, cy and dot');

  const identity = await shared.identity();
  for (const p of [ada, bea, cy, dot]) {
    const u = await identity.getUser(p.sub);
    assert.equal(u.state, 'active', `${p.name}: ${JSON.stringify(u.last_error)}`);
    const label = { [ada.name]: `a${run}`, [dot.name]: `d${run}` }[p.name] ?? u.code;
    const expected = `${label}.${env.PDS_HANDLE_DOMAIN}`;
    assert.equal(u.pds_handle, expected, p.name);
    const info = await pdsAccountInfo(env, u.did);
    assert.ok(info, `${p.name}'s account exists on the PDS`);
    assert.equal(info.handle, expected);
    assert.equal(info.email, p.email);
  }
  const unverified = await identity.getUser(eve.sub);
  assert.equal(unverified.state, 'none');
  assert.equal(unverified.did, null);
  assert.ok(acidentity().isValidUserCode(unverified.code));

  // The content hook mirrors one stored mood into ada's repo, once.
  const moodId = `${run}mood1`;
  await identity.importContent(
    JSON.stringify({ collection: 'moods', _id: moodId, user: ada.sub, mood: 'bundled and shipped', when: '2025-10-14T10:00:00.000Z', deleted: false }),
  );
  const mirror = (body, token = 'content-mirror-token') =>
    contentFn.handler({ httpMethod: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  assert.equal((await mirror({ collection: 'moods', id: moodId }, 'wrong')).statusCode, 403);
  assert.equal((await mirror({ collection: 'moods' })).statusCode, 400);
  assert.equal((await mirror({ collection: 'moods', id: `${run}none` })).statusCode, 404);
  const created = await mirror({ collection: 'moods', id: moodId });
  assert.equal(created.statusCode, 200, created.body);
  const report = JSON.parse(created.body);
  assert.equal(report.action, 'created', created.body);
  assert.equal(report.repo, (await identity.getUser(ada.sub)).did);
  assert.match(report.uri, /^at:\/\/did:plc:[a-z0-9]+\/computer\.aesthetic\.mood\//);
  assert.equal(JSON.parse((await mirror({ collection: 'moods', id: moodId })).body).action, 'unchanged');

  // The handle function reports the PDS side after provisioning (where the deployed reply has
  // updateAtprotoHandle's result).
  const after = JSON.parse((await setHandle(ada, `a${run}`)).body);
  assert.deepEqual(after, { handle: `a${run}`, atproto: { state: 'active', handle: `a${run}.${env.PDS_HANDLE_DOMAIN}` } });
});
