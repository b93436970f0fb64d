// acidentity as an ES module: the CommonJS implementation (index.js) with each of its exports
// as a named export, and the whole module object as the default export. One implementation,
// so `import` and `require` in the same process share one addon and one set of classes.
import acidentity from './index.js';

export const {
  Identity,
  AcidentityError,
  generateUserCode,
  isValidUserCode,
  userCodeProblem,
  parseUserCode,
  choosePdsHandle,
  doctor,
  version,
  USER_CODES_PER_YEAR,
  ENV,
} = acidentity;

export default acidentity;
