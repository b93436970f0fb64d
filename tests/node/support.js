'use strict';
// Shared helpers of the Node binding's tests (tests/node/*.test.js).

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// The package under test: the copy tests/node/build_addon.sh built (ctest sets the variable), or
// the source folder when run by hand after `npm install` there.
const packageDir =
  process.env.ACIDENTITY_NODE_PACKAGE || path.resolve(__dirname, '..', '..', 'bindings', 'node');

function acidentity() {
  return require(packageDir);
}

function nativeBinding() {
  return require(path.join(packageDir, 'build', 'Release', 'acidentity.node'));
}

// A fresh directory removed after the test (or suite) `t`.
function tempDir(t, prefix = 'acid-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function credentialsKey() {
  return crypto.randomBytes(32).toString('base64');
}

// The local PDS started by the ctest fixture `pds` (scripts/pds). A test that needs it fails
// when it is missing: it never skips.
function pdsEnv() {
  const file = process.env.ACID_TEST_PDS_ENV_FILE;
  assert.ok(file, 'ACID_TEST_PDS_ENV_FILE is not set (run through ctest, fixture pds)');
  assert.ok(fs.existsSync(file), `the PDS fixture env file ${file} is missing: is the pds fixture running?`);
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  for (const key of ['PDS_URL', 'PDS_ADMIN_PASSWORD', 'PDS_HANDLE_DOMAIN']) {
    assert.ok(env[key], `${key} missing from ${file}`);
  }
  return env;
}

// A short label unique to this run, usable in handles (lowercase letters and digits).
function runLabel(n = 6) {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  let s = '';
  for (const b of crypto.randomBytes(n)) s += alphabet[b % alphabet.length];
  return s;
}

// One Auth0 log-stream entry as Auth0 delivers it.
function logEntry({ logId, type, userId, email, date = '2027-10-14T08:30:00.000Z', tenant = 'aesthetic' }) {
  return {
    log_id: logId,
    data: {
      date,
      type,
      description: type === 'ss' ? 'Successful signup' : 'Successful verification',
      connection: 'Username-Password-Authentication',
      client_id: 'abc123',
      client_name: 'aesthetic.computer',
      user_id: userId,
      user_name: email,
      details: { body: { email } },
      tenant_name: tenant,
      log_id: logId,
    },
  };
}

// Admin view of an account on the PDS (com.atproto.admin.getAccountInfo), or null for 404/400.
async function pdsAccountInfo(env, did) {
  const url = `${env.PDS_URL}/xrpc/com.atproto.admin.getAccountInfo?did=${encodeURIComponent(did)}`;
  const auth = Buffer.from(`admin:${env.PDS_ADMIN_PASSWORD}`).toString('base64');
  const res = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  if (res.status === 400 || res.status === 404) return null;
  assert.equal(res.status, 200, `getAccountInfo ${did}: HTTP ${res.status}`);
  return res.json();
}

module.exports = {
  packageDir,
  acidentity,
  nativeBinding,
  tempDir,
  credentialsKey,
  pdsEnv,
  runLabel,
  logEntry,
  pdsAccountInfo,
};
