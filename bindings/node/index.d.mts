// Types of the ES module entry (index.mjs): the same names as index.d.ts, plus the default export.
export * from './index.js';
import * as acidentity from './index.js';
export default acidentity;
