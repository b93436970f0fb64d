#!/usr/bin/env node
// npm's install step for acidentity. With the prebuilt platform package installed (an optional
// dependency; npm picks it by os/cpu/libc) there is nothing to build and no compiler is needed.
// Otherwise the addon is built from source (scripts/build.sh), which needs libacidentity, a C++20
// compiler, make, python3 and the build tools (node-gyp, node-addon-api: see README.md
// "Build from source"). ACIDENTITY_BUILD_FROM_SOURCE=1 skips the prebuilt package.
'use strict';

const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { platformKey, PREBUILT_PLATFORMS } = require('../platform.js');

function prebuiltInstalled(packageName) {
  try {
    require.resolve(`${packageName}/package.json`);
    return true;
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND') return false;
    throw e;
  }
}

const key = platformKey();
const packageName = `acidentity-${key}`;
if (process.env.ACIDENTITY_BUILD_FROM_SOURCE !== '1' && prebuiltInstalled(packageName)) {
  process.stderr.write(`acidentity: using the prebuilt addon from ${packageName}\n`);
  process.exit(0);
}
const why = process.env.ACIDENTITY_BUILD_FROM_SOURCE === '1'
  ? 'ACIDENTITY_BUILD_FROM_SOURCE=1'
  : PREBUILT_PLATFORMS.includes(key)
    ? `${packageName} is not installed`
    : `no prebuilt addon is published for ${key}`;
process.stderr.write(`acidentity: building the addon from source (${why})\n`);
const build = spawnSync('bash', [path.join(__dirname, 'build.sh')], { stdio: 'inherit' });
if (build.error) throw build.error;
process.exit(build.status === null ? 1 : build.status);
