'use strict';
// Memory: rounds of 10,000 calls (async hits and misses, sync helpers) must not grow the heap or
// the RSS beyond a stated bound, and clients dropped without close() are reclaimed by the GC
// (their store files closed). Run with `node --expose-gc`.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { acidentity, tempDir, logEntry } = require('./support');

const { Identity, isValidUserCode, parseUserCode } = acidentity();
const MiB = 1024 * 1024;

// Bounds over ROUNDS measured rounds of 10,000 async calls each, after two warm-up rounds: the
// smallest thing a call could leak (a result string of ~150 bytes, an error, a worker) retained
// per call adds more than these over 30,000 calls.
const ROUNDS = 3;
const HEAP_BOUND = 1 * MiB;
const RSS_BOUND = 3 * MiB;

async function settle() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  global.gc();
}

function openFds() {
  return fs.readdirSync('/proc/self/fd').length;
}

test('10,000 calls a round: no growth beyond the bound', async (t) => {
  assert.equal(typeof global.gc, 'function', 'run with node --expose-gc');
  const id = await Identity.open({
    storeUri: `sqlite:${tempDir(t)}/mem.db`,
    useEnvironment: false,
    auth0LogToken: 'tok',
  });
  t.after(() => id.close());
  const body = JSON.stringify([logEntry({ logId: 'm', type: 'ss', userId: 'auth0|mem', email: 'mem@example.com' })]);
  assert.equal((await id.handleAuth0Events({ headers: { authorization: 'tok' }, body })).status, 200);

  // 10,000 calls: 2,500 getUser hits, 2,500 misses (AcidentityError), 2,500 stats, 2,500 webhook
  // deliveries (duplicates), in waves of 100 in flight; plus 10,000 of each sync helper.
  async function round() {
    for (let wave = 0; wave < 100; wave++) {
      const calls = [];
      for (let i = 0; i < 25; i++) {
        calls.push(id.getUser('auth0|mem'));
        calls.push(id.getUser('auth0|missing').then(
          () => assert.fail('expected ACID_ENOTFOUND'),
          (e) => assert.equal(e.code, 'ACID_ENOTFOUND'),
        ));
        calls.push(id.userCodeStats(25));
        calls.push(id.handleAuth0Events({ headers: { authorization: 'tok' }, body }));
      }
      await Promise.all(calls);
    }
    for (let i = 0; i < 10_000; i++) {
      isValidUserCode('ac25xadeh');
      parseUserCode('text AC25XADEH text');
    }
  }

  // Warm-up rounds (JIT, worker pool, SQLite page cache, allocator arenas), then measured ones.
  await round();
  await round();
  await settle();
  const samples = [process.memoryUsage()];
  for (let r = 0; r < ROUNDS; r++) {
    await round();
    await settle();
    samples.push(process.memoryUsage());
  }
  const fmt = (b) => `${(b / MiB).toFixed(2)} MiB`;
  const heapGrowth = samples[ROUNDS].heapUsed - samples[0].heapUsed;
  const rssGrowth = samples[ROUNDS].rss - samples[0].rss;
  const perRound = samples.slice(1).map((s, i) => `rss ${fmt(s.rss - samples[i].rss)} heap ${fmt(s.heapUsed - samples[i].heapUsed)}`);
  const calls = ROUNDS * 10_000;
  const report =
    `${ROUNDS} rounds of 10,000 async + 20,000 sync calls after warm-up (heapUsed ${fmt(samples[0].heapUsed)}, rss ${fmt(samples[0].rss)}): ` +
    `growth heap ${fmt(heapGrowth)} (${(heapGrowth / calls).toFixed(1)} B/async call), rss ${fmt(rssGrowth)} ` +
    `(${(rssGrowth / calls).toFixed(1)} B/async call); per round: ${perRound.join('; ')}; ` +
    `bounds: heap ${fmt(HEAP_BOUND)}, rss ${fmt(RSS_BOUND)} in total`;
  t.diagnostic(report);
  console.log(`memory: ${report}`);
  assert.ok(heapGrowth < HEAP_BOUND, `heap growth ${fmt(heapGrowth)}`);
  assert.ok(rssGrowth < RSS_BOUND, `rss growth ${fmt(rssGrowth)}`);
});

test('clients dropped without close() are reclaimed and their stores closed', async (t) => {
  const dir = tempDir(t);
  // One client opened and closed first, so SQLite's and libcurl's process-wide state exists.
  await (await Identity.open({ storeUri: `sqlite:${dir}/warm.db`, useEnvironment: false })).close();
  await settle();
  const fdsBefore = openFds();
  const logs = [];
  async function openUseAndDrop(i) {
    const id = await Identity.open({
      storeUri: `sqlite:${dir}/drop-${i}.db`,
      useEnvironment: false,
      onLog: (l) => logs.push(l),
    });
    await id.allocateUserCode('2025-01-01');
  }
  for (let i = 0; i < 20; i++) await openUseAndDrop(i);
  const fdsOpen = openFds();
  assert.ok(fdsOpen > fdsBefore, `20 open stores hold files (${fdsBefore} -> ${fdsOpen})`);
  await settle();
  await new Promise((r) => setTimeout(r, 50));
  await settle();
  const fdsAfter = openFds();
  t.diagnostic(`open fds: ${fdsBefore} before, ${fdsOpen} with 20 dropped clients, ${fdsAfter} after GC`);
  assert.ok(fdsAfter <= fdsBefore, `the GC closed the dropped clients' stores (${fdsAfter} fds, ${fdsBefore} before)`);
  assert.ok(logs.length > 0, 'the onLog callbacks were delivered');
});
