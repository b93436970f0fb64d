'use strict';
// The synchronous helpers, the error type, the handle type tags and the .d.ts against the exports.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { acidentity, nativeBinding, packageDir, tempDir } = require('./support');

const acid = acidentity();

test('isValidUserCode applies the deployed rule', () => {
  for (const code of ['ac25xadeh', 'ac00babab', 'ac99zuzuz', 'ac24aaaab', 'ac24bbbba']) {
    assert.equal(acid.isValidUserCode(code), true, code);
    assert.equal(acid.userCodeProblem(code), null, code);
  }
  const invalid = [
    '', 'ac25', 'ac25xadeh1', 'AC25XADEH', 'ac25Xadeh', 'bc25xadeh', 'acx5xadeh', 'ac25xad3h',
    'ac25aaaaa', // no consonant
    'ac25bcdfg', // no vowel
    'ac25xadeh\0', ' ac25xadeh', 'ac25xadéh',
  ];
  for (const code of invalid) {
    assert.equal(acid.isValidUserCode(code), false, JSON.stringify(code));
    assert.equal(typeof acid.userCodeProblem(code), 'string', JSON.stringify(code));
  }
  for (const value of [undefined, null, 42, {}, ['ac25xadeh']]) {
    assert.equal(acid.isValidUserCode(value), false);
  }
  assert.match(acid.userCodeProblem('ac25'), /9 characters/);
});

test('parseUserCode finds the first code, lowercased', () => {
  assert.equal(acid.parseUserCode('hello AC25XADEH and ac24babab'), 'ac25xadeh');
  assert.equal(acid.parseUserCode('user code: ac24babab.'), 'ac24babab');
  assert.equal(acid.parseUserCode('nothing here'), null);
  assert.equal(acid.parseUserCode(''), null);
  assert.throws(() => acid.parseUserCode(42), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
});

test('generateUserCode follows the signup year and the format', () => {
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const code = acid.generateUserCode(new Date('2025-06-01T00:00:00Z'));
    assert.match(code, /^ac25[bcdfghjkmnprstvwxyz][aeou][bcdfghjkmnprstvwxyz][aeou][bcdfghjkmnprstvwxyz]$/);
    assert.ok(acid.isValidUserCode(code));
    seen.add(code);
  }
  assert.ok(seen.size > 1900, `random previews should rarely repeat (${seen.size} distinct of 2000)`);
  assert.match(acid.generateUserCode('2031-12-31T23:59:59Z'), /^ac31/);
  assert.match(acid.generateUserCode(Date.UTC(2024, 0, 1)), /^ac24/);
  // The year of a UTC date, not the local one.
  assert.match(acid.generateUserCode('2024-12-31T23:30:00-05:00'), /^ac25/);
  assert.match(acid.generateUserCode(), new RegExp(`^ac${String(new Date().getUTCFullYear() % 100).padStart(2, '0')}`));
  assert.throws(() => acid.generateUserCode('not a date'), (e) => e instanceof acid.AcidentityError && e.code === 'ACID_EINVAL');
  assert.throws(() => acid.generateUserCode({}), TypeError);
});

test('choosePdsHandle: the AC handle when the PDS takes it, else the code', () => {
  assert.deepEqual(acid.choosePdsHandle('jeffrey', 'ac25xadeh'), {
    handle: 'jeffrey.at.aesthetic.computer',
    fallback: false,
    reason: '',
  });
  const short = acid.choosePdsHandle('43', 'ac25xadeh', 'at.aesthetic.test');
  assert.equal(short.handle, 'ac25xadeh.at.aesthetic.test');
  assert.equal(short.fallback, true);
  assert.ok(short.reason.length > 0);
  const none = acid.choosePdsHandle(null, 'ac25xadeh');
  assert.equal(none.handle, 'ac25xadeh.at.aesthetic.computer');
  assert.throws(
    () => acid.choosePdsHandle('jeffrey', 'nonsense'),
    (e) => e instanceof acid.AcidentityError && e.code === 'ACID_EINVAL' && e.errno === -1,
  );
  assert.throws(() => acid.choosePdsHandle('jeffrey', 42), TypeError);
});

test('AcidentityError: stable code, errno, detail, and the caller in the stack', () => {
  function callerWithAName() {
    return acid.choosePdsHandle('jeffrey', 'nonsense');
  }
  let caught;
  try {
    callerWithAName();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof acid.AcidentityError);
  assert.ok(caught instanceof Error);
  assert.equal(caught.name, 'AcidentityError');
  assert.equal(caught.code, 'ACID_EINVAL');
  assert.equal(caught.errno, -1);
  assert.equal(caught.status, null);
  assert.equal(typeof caught.detail, 'object');
  assert.match(caught.stack, /callerWithAName/);
  const made = new acid.AcidentityError('x', { code: 'ACID_EPDS', errno: -10, detail: { http_status: 400 } });
  assert.equal(made.status, 400);
});

test('version: the loaded library and Node-API 8', () => {
  const v = acid.version();
  assert.match(v.version, /^\d+\.\d+\.\d+$/);
  assert.equal(v.version, `${v.major}.${v.minor}.${v.patch}`);
  assert.equal(v.headerVersion, v.version);
  assert.equal(v.napiVersion, 8);
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  assert.equal(pkg.version, v.version, 'package.json follows the library version');
});

test('handles are type-tagged: anything else is refused before use', async (t) => {
  const native = nativeBinding();
  const dir = tempDir(t);
  for (const bogus of [{}, 42, 'handle', null, undefined, Buffer.alloc(8), () => 0]) {
    assert.throws(() => native.userGet(bogus, 'auth0|x'), (e) => e instanceof TypeError && /client handle/.test(e.message));
    assert.throws(() => native.close(bogus), TypeError);
    assert.throws(() => native.metrics(bogus), TypeError);
  }
  // A real handle passes the tag check.
  const handle = await native.open({ storeUri: `sqlite:${dir}/tag.db`, useEnvironment: false });
  assert.equal(typeof handle, 'object');
  assert.equal(native.inFlight(handle), 0);
  await native.close(handle);
  await assert.rejects(native.userGet(handle, 'x'), (e) => e.code === 'ACID_ECLOSED');
});

test('strings with NUL are refused instead of being cut short', async (t) => {
  const native = nativeBinding();
  const handle = await native.open({ storeUri: `sqlite:${tempDir(t)}/nul.db`, useEnvironment: false });
  assert.throws(() => native.userGet(handle, 'auth0|a\0b'), (e) => e.code === 'ACID_EINVAL');
  await native.close(handle);
});

test('index.d.ts declares every export and every Identity method', () => {
  const dts = fs.readFileSync(path.join(packageDir, 'index.d.ts'), 'utf8');
  for (const name of Object.keys(acid)) {
    assert.match(dts, new RegExp(`export (declare )?(function|class|const) ${name}\\b`), `index.d.ts lacks ${name}`);
  }
  const identityBlock = /export class Identity \{([\s\S]*?)\n\}/.exec(dts)[1];
  const methods = Object.getOwnPropertyNames(acid.Identity.prototype).filter((n) => n !== 'constructor' && !n.startsWith('_'));
  assert.ok(methods.length >= 12);
  for (const m of methods) {
    assert.match(identityBlock, new RegExp(`\\b${m}\\b`), `Identity.${m} is not declared`);
  }
  for (const m of Object.getOwnPropertyNames(acid.Identity).filter((n) => !['length', 'name', 'prototype'].includes(n))) {
    assert.match(identityBlock, new RegExp(`static ${m}\\b`), `Identity.${m} (static) is not declared`);
  }
});
