#!/usr/bin/env node
// Finds libacidentity for the addon build. binding.gyp calls it as
//   node scripts/find-acidentity.js include   -> the directory holding acidentity/acidentity.h
//   node scripts/find-acidentity.js libdir    -> the directory holding libacidentity.so
// and build.sh as `... describe` (one line saying what was found and how).
//
// Where it looks, first match wins:
//   1. ACIDENTITY_PREFIX: an install prefix (`cmake --install BUILD --prefix DIR`), with
//      include/acidentity/acidentity.h and lib/ (or lib64/, lib/<multiarch>/) libacidentity.so.
//   2. ACIDENTITY_BUILD_DIR: a CMake build directory of the project; the header comes from the
//      source tree recorded in its CMakeCache.txt.
//   3. pkg-config acidentity (PKG_CONFIG_PATH may point at PREFIX/lib/pkgconfig).
// Nothing found is an error naming all three.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const HEADER = path.join('acidentity', 'acidentity.h');

function fail(message) {
  process.stderr.write(`acidentity: ${message}\n`);
  process.exit(1);
}

function findLibDir(roots) {
  for (const dir of roots) {
    if (fs.existsSync(path.join(dir, 'libacidentity.so'))) return dir;
  }
  return null;
}

function fromPrefix(prefix) {
  const p = path.resolve(prefix);
  const include = path.join(p, 'include');
  if (!fs.existsSync(path.join(include, HEADER))) {
    fail(`ACIDENTITY_PREFIX=${prefix}: no include/${HEADER} there (run cmake --install BUILD --prefix ${prefix})`);
  }
  const candidates = [path.join(p, 'lib'), path.join(p, 'lib64')];
  const lib = path.join(p, 'lib');
  if (fs.existsSync(lib)) {
    for (const entry of fs.readdirSync(lib)) {
      if (entry.endsWith('-linux-gnu')) candidates.push(path.join(lib, entry));
    }
  }
  const libdir = findLibDir(candidates);
  if (!libdir) fail(`ACIDENTITY_PREFIX=${prefix}: no libacidentity.so under lib/, lib64/ or lib/<multiarch>/`);
  return { include, libdir, how: `ACIDENTITY_PREFIX=${p}` };
}

function fromBuildDir(buildDir) {
  const b = path.resolve(buildDir);
  const cache = path.join(b, 'CMakeCache.txt');
  if (!fs.existsSync(cache)) fail(`ACIDENTITY_BUILD_DIR=${buildDir}: no CMakeCache.txt there`);
  const m = /^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$/m.exec(fs.readFileSync(cache, 'utf8'));
  if (!m) fail(`ACIDENTITY_BUILD_DIR=${buildDir}: CMakeCache.txt names no source directory`);
  const include = path.join(m[1], 'include');
  if (!fs.existsSync(path.join(include, HEADER))) fail(`no ${HEADER} in ${include}`);
  const libdir = findLibDir([b, path.join(b, 'src'), path.join(b, 'lib')]);
  if (!libdir) fail(`ACIDENTITY_BUILD_DIR=${buildDir}: libacidentity.so is not built yet (cmake --build ${buildDir} --target acidentity)`);
  return { include, libdir, how: `ACIDENTITY_BUILD_DIR=${b}` };
}

function fromPkgConfig() {
  const run = (...args) => execFileSync('pkg-config', args, { encoding: 'utf8' }).trim();
  let include;
  let libdir;
  try {
    include = run('--variable=includedir', 'acidentity');
    libdir = run('--variable=libdir', 'acidentity');
  } catch (e) {
    const why = e.code === 'ENOENT' ? 'pkg-config is not installed' : 'pkg-config does not know acidentity';
    fail(`libacidentity not found (${why}). Set ACIDENTITY_PREFIX to an install prefix ` +
         '(cmake --install BUILD --prefix DIR), ACIDENTITY_BUILD_DIR to a CMake build directory, ' +
         'or PKG_CONFIG_PATH to DIR/lib/pkgconfig.');
  }
  if (!fs.existsSync(path.join(include, HEADER))) fail(`pkg-config: no ${HEADER} in ${include}`);
  if (!findLibDir([libdir])) fail(`pkg-config: no libacidentity.so in ${libdir}`);
  return { include, libdir, how: 'pkg-config acidentity' };
}

function locate() {
  if (process.env.ACIDENTITY_PREFIX) return fromPrefix(process.env.ACIDENTITY_PREFIX);
  if (process.env.ACIDENTITY_BUILD_DIR) return fromBuildDir(process.env.ACIDENTITY_BUILD_DIR);
  return fromPkgConfig();
}

if (require.main === module) {
  const what = process.argv[2];
  const found = locate();
  if (what === 'include') process.stdout.write(found.include);
  else if (what === 'libdir') process.stdout.write(found.libdir);
  else if (what === 'describe') process.stdout.write(`${found.how}: include ${found.include}, lib ${found.libdir}\n`);
  else fail(`usage: find-acidentity.js include|libdir|describe (got ${what})`);
}

module.exports = { locate };
