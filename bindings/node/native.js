'use strict';
// Finds the native addon: the prebuilt one from the platform package (acidentity-<platform>, an
// optional dependency npm installs only where it fits), else a source build in this folder
// (build/Release/acidentity.node, made by `npm run build`).
//
// Each platform package is required by a literal name, so bundlers (esbuild, Netlify's
// zip-it-and-ship-it) see the dependency; a computed require() would be invisible to them.

const path = require('node:path');
const { platformKey } = require('./platform.js');

function requirePrebuilt(key) {
  switch (key) {
    case 'linux-x64-gnu':
      return require('acidentity-linux-x64-gnu');
    case 'linux-arm64-gnu':
      return require('acidentity-linux-arm64-gnu');
    default:
      return null;
  }
}

// True when `e` says that `request` itself was not found (not some file it needed).
function isNotFound(e, request) {
  return Boolean(e) && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${request}'`);
}

function loadNative() {
  const key = platformKey();
  const packageName = `acidentity-${key}`;
  let prebuiltProblem = null;
  try {
    const prebuilt = requirePrebuilt(key);
    if (prebuilt) return prebuilt;
    prebuiltProblem = `no prebuilt package is published for ${key}`;
  } catch (e) {
    if (!isNotFound(e, packageName)) {
      // The package is there but its addon does not load (wrong glibc, a file missing from a
      // bundle, ...): that is the error to report, not a missing source build.
      throw new Error(`acidentity: the prebuilt addon in ${packageName} failed to load: ${e.message}`, { cause: e });
    }
    prebuiltProblem = `the platform package ${packageName} is not installed`;
  }
  const sourceBuild = path.join(__dirname, 'build', 'Release', 'acidentity.node');
  try {
    return require(sourceBuild);
  } catch (e) {
    if (!isNotFound(e, sourceBuild)) throw e;
    throw new Error(
      `acidentity: no native addon for ${key}: ${prebuiltProblem}, and there is no source build ` +
        `(${sourceBuild}). Install acidentity with its optional dependencies (npm install ` +
        `--include=optional; a bundler must keep ${packageName} next to acidentity, e.g. Netlify's ` +
        `external_node_modules), or build from source: see README.md "Build from source".`,
      { cause: e },
    );
  }
}

module.exports = loadNative();
