'use strict';
// audit() and backfill() against the real local PDS + PLC (ctest fixture `pds`) and an embedded
// store: a verified user whose provision job was lost is found, backfill plans it (dry run),
// repairs it with fix: true while reporting progress, and a second audit of the user is clean.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { acidentity, tempDir, pdsEnv, runLabel, logEntry, credentialsKey } = require('./support');

const { Identity, AcidentityError } = acidentity();
const TOKEN = 'audit-test-webhook-token';
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

test('audit options are checked before anything runs', async (t) => {
  const id = await Identity.open(config(tempDir(t)));
  t.after(() => id.close());
  await assert.rejects(id.audit(), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(id.audit({}), (e) => e instanceof AcidentityError && e.code === 'ACID_EINVAL');
  await assert.rejects(id.audit({ all: true, limit: 3 }), { code: 'ACID_EINVAL' });
  await assert.rejects(id.audit({ all: true, fix: true }), { code: 'ACID_EINVAL' });
  await assert.rejects(id.audit({ all: true, tenant: 'both' }), { code: 'ACID_EINVAL' });
  await assert.rejects(id.backfill({ all: true }, 'not a function'), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(id.backfill({ user: 'auth0|x', deleteOrphans: true }), { code: 'ACID_EINVAL' });
});

test('a lost provision job: audit finds it, backfill repairs it with progress', async (t) => {
  const id = await Identity.open(config(tempDir(t)));
  t.after(() => id.close());
  const run = runLabel();
  const sub = `auth0|${run}lost`;
  const body = JSON.stringify([
    logEntry({ logId: `${run}-ss`, type: 'ss', userId: sub, email: `${run}lost@example.com` }),
    logEntry({ logId: `${run}-sv`, type: 'sv', userId: sub, email: `${run}lost@example.com` }),
  ]);
  const answer = await id.handleAuth0Events({ headers: { authorization: TOKEN }, body });
  assert.equal(answer.statusCode, 200, answer.body);
  // Not run: the job stays open, so the user is pending and not (yet) stuck.
  const pending = await id.audit({ user: sub });
  assert.equal(pending.clean, true, JSON.stringify(pending));
  // Stuck: an hour-old due job counts as lost when stuckAfterMs is 0.
  const stuck = await id.audit({ user: sub, stuckAfterMs: 0 });
  assert.equal(stuck.clean, false);
  assert.deepEqual(stuck.findings.map((f) => [f.kind, f.sub, f.action]), [['state_stuck', sub, 'schedule_provision']]);

  const plan = await id.backfill({ user: sub, stuckAfterMs: 0 });
  assert.equal(plan.dry_run, true);
  assert.equal(plan.plan.length, 1);
  assert.equal(plan.plan[0].status, 'planned');
  assert.equal((await id.getUser(sub)).state, 'pending', 'a dry run changes nothing');

  const progress = [];
  const done = await id.backfill({ user: sub, stuckAfterMs: 0, fix: true, concurrency: 2 }, (p) => progress.push(p));
  assert.equal(done.dry_run, false);
  assert.deepEqual(done.totals, { planned: 0, fixed: 1, failed: 0, skipped: 0 }, JSON.stringify(done));
  assert.equal(done.after.clean, true);
  assert.equal((await id.getUser(sub)).state, 'active');
  await new Promise((resolve) => setImmediate(resolve)); // let queued progress calls arrive
  assert.ok(progress.some((p) => p.phase === 'jobs'), JSON.stringify(progress));
  for (const p of progress) assert.equal(typeof p.elapsed_s, 'number');
  assert.equal((await id.audit({ user: sub })).clean, true);
});
