'use strict';
// Which prebuilt platform package fits this process: acidentity-<platform>-<arch>[-<libc>].
// Used by the loader (native.js) and by the install step (scripts/install.js).

// 'gnu' or 'musl' on Linux: a glibc build cannot load on musl (Alpine), and vice versa.
function linuxLibc() {
  const report = process.report && process.report.getReport ? process.report.getReport() : null;
  return report && report.header && report.header.glibcVersionRuntime ? 'gnu' : 'musl';
}

function platformKey() {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  return `linux-${process.arch}-${linuxLibc()}`;
}

// The platforms scripts/package-node can build (docs/node.md "Prebuilt addons").
const PREBUILT_PLATFORMS = ['linux-x64-gnu', 'linux-arm64-gnu'];

module.exports = { platformKey, PREBUILT_PLATFORMS };
