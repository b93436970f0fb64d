'use strict';
// The event loop stays responsive while the library waits on a slow PDS: a local HTTP server in
// this process answers describeServer only after a delay (so the answer itself needs the loop to
// be free), and a 5 ms interval measures timer drift meanwhile. Also: PDS errors become
// AcidentityError with the HTTP status and the XRPC error name.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { acidentity, tempDir } = require('./support');

const { Identity, AcidentityError } = acidentity();

const DESCRIBE = {
  did: 'did:web:slow.example',
  availableUserDomains: ['.at.aesthetic.test'],
  inviteCodeRequired: true,
};

// A PDS stand-in on 127.0.0.1 whose describeServer answer is scripted per test.
async function startServer(t, answer) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    answer(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${server.address().port}`, count: () => requests };
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function openAgainst(t, url) {
  const id = await Identity.open({
    storeUri: `sqlite:${tempDir(t)}/s.db`,
    useEnvironment: false,
    pdsUrl: url,
    pdsAdminPassword: 'not-used-by-describe',
  });
  t.after(() => id.close());
  return id;
}

test('a slow PDS call does not block the event loop (timer drift)', async (t) => {
  const DELAY_MS = 1500;
  const server = await startServer(t, (req, res) => {
    assert.match(req.url, /com\.atproto\.server\.describeServer/);
    setTimeout(() => sendJson(res, 200, DESCRIBE), DELAY_MS);
  });
  const id = await openAgainst(t, server.url);

  const INTERVAL_MS = 5;
  // Measures timer drift while `work` runs.
  async function drift(work) {
    let last = performance.now();
    let max = 0;
    let count = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      max = Math.max(max, now - last - INTERVAL_MS);
      last = now;
      count++;
    }, INTERVAL_MS);
    const started = performance.now();
    const result = await work();
    const ms = performance.now() - started;
    clearInterval(timer);
    return { result, ms, max, count };
  }
  // The same measure with nothing running, for comparison on a busy machine.
  const idle = await drift(() => new Promise((r) => setTimeout(r, 500)));
  // Four at once: every thread of libuv's default pool is busy waiting on the PDS.
  const busy = await drift(() => Promise.all([1, 2, 3, 4].map(() => id.pdsDescribe())));
  const { result: answers, ms: elapsed, max: maxDrift, count: ticks } = busy;

  for (const a of answers) assert.equal(a.did, DESCRIBE.did);
  assert.ok(elapsed >= DELAY_MS - 50, `the calls really were slow (${elapsed.toFixed(0)} ms)`);
  const expectedTicks = elapsed / INTERVAL_MS;
  t.diagnostic(
    `slow describeServer x4: ${elapsed.toFixed(0)} ms; timer ticks ${ticks} of ~${expectedTicks.toFixed(0)}; ` +
      `max timer drift ${maxDrift.toFixed(1)} ms (idle baseline: ${idle.max.toFixed(1)} ms, ${idle.count} ticks in 500 ms)`,
  );
  // A call blocking the main thread would show a drift of about DELAY_MS (1,500 ms) and almost no
  // ticks; the bound leaves room for a machine busy with other builds.
  assert.ok(maxDrift < 500, `max drift ${maxDrift.toFixed(1)} ms`);
  assert.ok(ticks > expectedTicks * 0.1, `ticks ${ticks} of ~${expectedTicks.toFixed(0)}`);
});

test('sync helpers keep working while every pool thread waits on the PDS', async (t) => {
  const server = await startServer(t, (req, res) => setTimeout(() => sendJson(res, 200, DESCRIBE), 800));
  const id = await openAgainst(t, server.url);
  const slow = Promise.all([1, 2, 3, 4].map(() => id.pdsDescribe()));
  const acid = acidentity();
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) assert.ok(acid.isValidUserCode('ac25xadeh'));
  const syncMs = performance.now() - t0;
  t.diagnostic(`10,000 isValidUserCode during 4 slow calls: ${syncMs.toFixed(1)} ms`);
  assert.ok(syncMs < 700, 'the helpers did not wait for the pool');
  await slow;
});

test('PDS errors: ACID_EPDS with the HTTP status and the XRPC error', async (t) => {
  const server = await startServer(t, (req, res) =>
    sendJson(res, 400, { error: 'InvalidRequest', message: 'nope, not today' }),
  );
  const id = await openAgainst(t, server.url);
  await assert.rejects(id.pdsDescribe(), (e) => {
    assert.ok(e instanceof AcidentityError);
    assert.equal(e.code, 'ACID_EPDS', e.message);
    assert.equal(e.errno, -10);
    assert.equal(e.status, 400);
    assert.equal(e.detail.http_status, 400);
    assert.equal(e.detail.xrpc_error, 'InvalidRequest');
    return true;
  });
});

test('PDS errors: a 5xx that persists is ACID_EUNAVAILABLE after retries', async (t) => {
  const server = await startServer(t, (req, res) => sendJson(res, 503, { error: 'Unavailable', message: 'down' }));
  const id = await openAgainst(t, server.url);
  await assert.rejects(id.pdsDescribe(), (e) => {
    assert.ok(e instanceof AcidentityError);
    assert.equal(e.code, 'ACID_EUNAVAILABLE', e.message);
    assert.equal(e.status, 503);
    return true;
  });
  assert.ok(server.count() >= 2, `describeServer is idempotent and was retried (${server.count()} requests)`);
});
