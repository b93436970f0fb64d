// The package as an ES module and as CommonJS, both through its `exports` map (package name, not
// a path): every value index.d.ts declares is importable by name, named and default exports are
// the CommonJS module's own objects, and a code path works end to end through `import`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = process.env.ACIDENTITY_NODE_PACKAGE || path.resolve(here, '..', '..', 'bindings', 'node');

// The value names index.d.ts exports (types and interfaces have no runtime value).
function declaredValues() {
  const dts = fs.readFileSync(path.join(packageDir, 'index.d.ts'), 'utf8');
  const names = [...dts.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]);
  return [...new Set(names)].sort();
}

// A project folder whose node_modules/acidentity is the package, so 'acidentity' resolves through
// the package's exports map exactly as for an installed dependency.
function consumerDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acid-esm-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(packageDir, path.join(dir, 'node_modules', 'acidentity'), 'dir');
  return dir;
}

function runNode(dir, file, source) {
  fs.writeFileSync(path.join(dir, file), source);
  return execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
}

test('index.d.ts declares the names the tests below import', () => {
  const names = declaredValues();
  for (const expected of ['Identity', 'AcidentityError', 'ENV', 'USER_CODES_PER_YEAR', 'doctor', 'version']) {
    assert.ok(names.includes(expected), `${expected} missing from index.d.ts`);
  }
});

test('every value in index.d.ts is a named ESM export of "acidentity", the same object as in CommonJS', (t) => {
  const dir = consumerDir(t);
  const names = declaredValues();
  const out = runNode(dir, 'check.mjs', `
    import { createRequire } from 'node:module';
    import { ${names.join(', ')} } from 'acidentity';
    import * as ns from 'acidentity';
    import acidentity from 'acidentity';
    const cjs = createRequire(import.meta.url)('acidentity');
    const imported = { ${names.join(', ')} };
    const report = {};
    for (const [name, value] of Object.entries(imported)) {
      report[name] = { defined: value !== undefined, sameAsCjs: value === cjs[name] };
    }
    report.default = acidentity === cjs;
    report.namespace = Object.keys(ns).filter((k) => k !== 'default').sort();
    report.cjsKeys = Object.keys(cjs).sort();
    console.log(JSON.stringify(report));
  `);
  const report = JSON.parse(out);
  for (const name of names) {
    assert.deepEqual(report[name], { defined: true, sameAsCjs: true }, name);
  }
  assert.equal(report.default, true, 'the default export is the CommonJS module object');
  // Nothing exported from one side only.
  assert.deepEqual(report.namespace, report.cjsKeys);
  assert.deepEqual(report.cjsKeys, names);
});

test('the README example works through import: ENV, USER_CODES_PER_YEAR and a store round trip', (t) => {
  const dir = consumerDir(t);
  const out = runNode(dir, 'use.mjs', `
    import { ENV, USER_CODES_PER_YEAR, Identity, isValidUserCode } from 'acidentity';
    const id = await Identity.open({ storeUri: 'sqlite:' + ${JSON.stringify(path.join(dir, 'esm.db'))}, useEnvironment: false });
    const code = await id.allocateUserCode('2025-07-01');
    await id.close();
    console.log(JSON.stringify({ store: ENV.storeUri, perYear: USER_CODES_PER_YEAR, code, valid: isValidUserCode(code) }));
  `);
  const r = JSON.parse(out);
  assert.equal(r.store, 'ACID_STORE');
  assert.equal(r.perYear, 109744);
  assert.match(r.code, /^ac25[a-z]{5}$/);
  assert.equal(r.valid, true);
});

test('package.json routes import to index.mjs and require to index.js, each with its types', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const root = pkg.exports['.'];
  assert.deepEqual(root.import, { types: './index.d.mts', default: './index.mjs' });
  assert.deepEqual(root.require, { types: './index.d.ts', default: './index.js' });
  for (const f of ['index.mjs', 'index.d.mts', 'index.js', 'index.d.ts']) {
    assert.ok(pkg.files.includes(f), `${f} is not in "files"`);
  }
});
