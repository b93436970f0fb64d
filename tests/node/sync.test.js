'use strict';
// Content sync through the Node binding against the real local PDS (ctest fixture `pds`) and an
// embedded store: moods imported, mirrored with progress, checked on the PDS, verified.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { acidentity, tempDir, pdsEnv, runLabel, logEntry, credentialsKey } = require('./support');

const { Identity, AcidentityError } = acidentity();
const TOKEN = 'sync-test-webhook-token';
const env = pdsEnv(); // fails (never skips) without the fixture

function config(dir) {
  return {
    storeUri: `sqlite:${dir}/store.db`,
    useEnvironment: false,
    pdsUrl: env.PDS_URL,
    pdsAdminPassword: env.PDS_ADMIN_PASSWORD,
    pdsHandleDomain: env.PDS_HANDLE_DOMAIN,
    auth0LogToken: TOKEN,
    credentialsKey: credentialsKey(),
    maxAttempts: 3,
  };
}

async function listMoods(did) {
  const url = `${env.PDS_URL}/xrpc/com.atproto.repo.listRecords?repo=${encodeURIComponent(did)}` +
    '&collection=computer.aesthetic.mood&limit=100';
  const r = await fetch(url);
  assert.equal(r.status, 200);
  return (await r.json()).records;
}

// Every mood in `did`'s repo, checked against the aesthetic.computer lexicons with
// @atproto/lexicon (tests/lexicon: installed once into the build tree, shared with the C++ suites).
function assertLexiconValid(records) {
  assert.ok(records.length > 0, 'no record to check: the check would prove nothing');
  const work = process.env.ACID_TEST_LEXICON_WORK;
  assert.ok(work, 'ACID_TEST_LEXICON_WORK is not set (run through ctest)');
  const lexicon = path.resolve(__dirname, '..', 'lexicon');
  execFileSync(path.join(lexicon, 'install.sh'), [work], { stdio: 'inherit' });
  const file = path.join(work, `records-node-${process.pid}.jsonl`);
  fs.writeFileSync(file, records.map((r) => JSON.stringify({ uri: r.uri, value: r.value })).join('\n'));
  try {
    execFileSync(process.execPath, [path.join(work, 'validate.mjs'), file], { stdio: 'pipe' });
  } catch (e) {
    assert.fail(`records do not satisfy the lexicons:\n${e.stdout}${e.stderr}`);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test('syncRecords mirrors imported moods into the person\'s repo, with progress', async (t) => {
  const run = runLabel();
  const id = await Identity.open(config(tempDir(t)));
  t.after(() => id.close());
  const sub = `auth0|${run}sync`;
  const email = `${run}sync@example.com`;
  const body = JSON.stringify([
    logEntry({ logId: `${run}-ss`, type: 'ss', userId: sub, email }),
    logEntry({ logId: `${run}-sv`, type: 'sv', userId: sub, email }),
  ]);
  const answer = await id.handleAuth0Events({ headers: { authorization: TOKEN }, body });
  assert.equal(answer.status, 200, answer.body);
  for (let i = 0; i < 20 && (await id.runJobs({ budgetMs: 60_000, maxJobs: 50 })).ran > 0; i++);
  const user = await id.getUser(sub);
  assert.equal(user.state, 'active', JSON.stringify(user.last_error));

  const lines = ['calm', 'bright', 'tired']
    .map((mood, i) => JSON.stringify({ collection: 'moods', _id: `${run}${i}`, user: sub, mood,
      when: '2025-10-14T00:00:00.000Z', deleted: false }))
    .join('\n');
  const imported = await id.importContent(new TextEncoder().encode(lines)); // a Uint8Array
  assert.equal(imported.changed, 3);

  const dry = await id.syncRecords({ collection: 'moods', user: sub });
  assert.equal(dry.dry_run, true);
  assert.equal(dry.collections[0].would_create, 3);
  assert.deepEqual(await listMoods(user.did), []);

  const progress = [];
  const report = await id.syncRecords({ collection: 'moods', user: sub, fix: true }, (p) => progress.push(p));
  assert.equal(report.collections[0].created, 3, JSON.stringify(report));
  assert.equal(report.failures_total, 0);
  const records = await listMoods(user.did);
  assert.deepEqual(records.map((r) => r.value.ref).sort(), [`${run}0`, `${run}1`, `${run}2`]);
  await new Promise((resolve) => setImmediate(resolve)); // progress deliveries queued before the answer
  assert.equal(progress.length, 1);
  assert.equal(progress[0].user, sub);
  assert.equal(progress[0].created, 3);

  await id.deleteContent('moods', `${run}1`);
  const removed = await id.syncRecords({ user: sub, fix: true });
  assert.equal(removed.collections.find((c) => c.collection === 'moods').deleted, 1);
  assert.equal((await listMoods(user.did)).length, 2);
  const verified = await id.syncVerify({ user: sub });
  assert.equal(verified.issues_total, 0, JSON.stringify(verified.issues));

  // One document, now: a new mood mirrored right after it is stored; twice is still one record.
  await id.importContent(JSON.stringify({ collection: 'moods', _id: `${run}now`, user: sub,
    mood: 'right now', when: '2025-10-14T00:00:00.000Z' }));
  const now = await id.mirrorContent('moods', `${run}now`);
  assert.equal(now.action, 'created', JSON.stringify(now));
  assert.equal(now.repo, user.did);
  assert.equal((await id.mirrorContent('moods', `${run}now`)).action, 'unchanged');
  const mirrored = (await listMoods(user.did)).filter((r) => r.value.ref === `${run}now`);
  assert.equal(mirrored.length, 1);
  assert.equal(mirrored[0].uri, now.uri);
  assertLexiconValid(await listMoods(user.did));
});

test('sync arguments and imports are validated', async (t) => {
  const id = await Identity.open({ storeUri: `sqlite:${tempDir(t)}/store.db`, useEnvironment: false });
  t.after(() => id.close());
  await assert.rejects(id.syncRecords({ collection: 'news' }), (e) => e instanceof AcidentityError && e.code === 'ACID_EINVAL');
  await assert.rejects(id.syncVerify({ fix: 'yes' }), TypeError);
  await assert.rejects(id.syncRecords({}, 'not a function'), TypeError);
  await assert.rejects(id.importContent(42), TypeError);
  const bad = '{"collection":"moods","_id":"a","user":"u","mood":"m","when":"2025-10-14T00:00:00Z"}\n{"collection":"moods"}';
  await assert.rejects(id.importContent(bad), (e) => {
    assert.equal(e.code, 'ACID_EINVAL');
    assert.equal(e.detail.line, 2);
    return true;
  });
  await assert.rejects(id.deleteContent('moods', 'a'), (e) => e.code === 'ACID_ENOTFOUND');
  await assert.rejects(id.deleteContent('moods'), TypeError);
  await assert.rejects(id.mirrorContent('moods', 'absent'), (e) => e.code === 'ACID_ENOTFOUND');
  await assert.rejects(id.mirrorContent('nope', 'a'), (e) => e.code === 'ACID_EINVAL');
  await assert.rejects(id.mirrorContent('moods'), TypeError);
});
