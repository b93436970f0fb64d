'use strict';
// The Node side of bench/node: per-call cost of the addon.
//   node bench.js STORE_PATH N_SYNC N_ASYNC IN_FLIGHT
// Prints one JSON object of calls per second, the same keys as bench_c.
const path = require('node:path');

const pkg = process.env.ACIDENTITY_NODE_PACKAGE || path.resolve(__dirname, '..', '..', 'bindings', 'node');
const { Identity, isValidUserCode } = require(pkg);

async function main() {
  const [store, nSyncArg, nAsyncArg, inFlightArg] = process.argv.slice(2);
  const nSync = Number(nSyncArg);
  const nAsync = Number(nAsyncArg);
  const inFlight = Number(inFlightArg);
  const id = await Identity.open({ storeUri: `sqlite:${store}`, useEnvironment: false, auth0LogToken: 'bench-token' });
  const body = JSON.stringify([
    { log_id: 'bench-1', data: { type: 'ss', date: '2025-10-14T08:30:00.000Z', user_id: 'auth0|bench', user_name: 'bench@example.com', log_id: 'bench-1' } },
  ]);
  const r = await id.handleAuth0Events({ headers: { authorization: 'bench-token' }, body });
  if (r.status !== 200) throw new Error(r.body);

  let valid = 0;
  for (let i = 0; i < nSync / 10; i++) valid += isValidUserCode('ac25xadeh'); // warm-up (JIT)
  valid = 0;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < nSync; i++) valid += isValidUserCode('ac25xadeh');
  const syncS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (valid !== nSync) throw new Error('isValidUserCode');

  for (let i = 0; i < nAsync / 10; i++) await id.getUser('auth0|bench');
  t0 = process.hrtime.bigint();
  for (let i = 0; i < nAsync; i++) await id.getUser('auth0|bench');
  const getS = Number(process.hrtime.bigint() - t0) / 1e9;

  // Throughput with IN_FLIGHT calls outstanding (libuv's pool: UV_THREADPOOL_SIZE threads).
  t0 = process.hrtime.bigint();
  let issued = 0;
  async function lane() {
    while (issued < nAsync) {
      issued++;
      await id.getUser('auth0|bench');
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  const concurrentS = Number(process.hrtime.bigint() - t0) / 1e9;

  t0 = process.hrtime.bigint();
  for (let i = 0; i < nAsync; i++) await id.userCodeStats(25);
  const statsS = Number(process.hrtime.bigint() - t0) / 1e9;

  t0 = process.hrtime.bigint();
  for (let i = 0; i < nAsync; i++) await id.metrics();
  const metricsS = Number(process.hrtime.bigint() - t0) / 1e9;

  await id.close();
  console.log(
    JSON.stringify({
      isValidUserCode: Math.round(nSync / syncS),
      getUser: Math.round(nAsync / getS),
      getUserThreads: Math.round(nAsync / concurrentS),
      userCodeStats: Math.round(nAsync / statsS),
      metrics: Math.round(nAsync / metricsS),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
