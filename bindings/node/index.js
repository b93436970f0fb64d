'use strict';
// acidentity: the Node binding of libacidentity.
//
// A thin layer over the native addon (build/Release/acidentity.node, itself a thin layer over the
// C ABI). Every call that touches the store or the network returns a Promise and runs off the
// main thread; the user-code helpers are synchronous. Native errors are re-thrown here as
// AcidentityError so they carry the caller's (async) JS stack.

// The addon: the prebuilt platform package, else a source build (native.js).
const native = require('./native.js');

/**
 * Every failure of the library, and the binding's own ones, as one class.
 * code: the C status name ('ACID_EINVAL', 'ACID_ENOTFOUND', ...) or a binding code
 *       ('ACID_ECLOSED': the client was closed); errno: the C status (negative) or null;
 * status: the HTTP status involved (e.g. the PDS's answer) or null; detail: the parsed detail.
 */
class AcidentityError extends Error {
  constructor(message, { code, errno = null, detail = {}, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AcidentityError';
    this.code = code;
    this.errno = errno;
    this.detail = detail;
    this.status = typeof detail.http_status === 'number' ? detail.http_status : null;
  }
}

function parseDetail(text) {
  if (typeof text !== 'string' || text === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    // The library promises a JSON object; keep the text rather than lose the original error.
    return { unparsed: text, parseError: e.message };
  }
}

// A native error (plain Error with code/errno/detailJson) becomes an AcidentityError created here,
// in the caller's async context, so its stack names the caller. Anything else passes through.
function fromNative(e) {
  if (e instanceof AcidentityError) return e;
  if (e instanceof Error && typeof e.code === 'string' && e.code.startsWith('ACID_')) {
    const err = new AcidentityError(e.message, {
      code: e.code,
      errno: typeof e.errno === 'number' ? e.errno : null,
      detail: parseDetail(e.detailJson),
    });
    Error.captureStackTrace(err, fromNative);
    return err;
  }
  return e;
}

function invalid(message) {
  return new AcidentityError(message, { code: 'ACID_EINVAL', errno: -1 });
}

function typeError(message) {
  const e = new TypeError(message);
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

function requireString(value, name) {
  if (typeof value !== 'string') throw typeError(`${name} must be a string`);
}

function optionalString(value, name) {
  if (value !== undefined && value !== null) requireString(value, name);
}

const SYNC_COLLECTIONS = ['moods', 'paintings', 'kidlisp', 'tapes', 'pieces', 'all'];

// {collection, user, fix} -> the options JSON of acid_sync_records / acid_sync_verify.
function syncOptions({ collection, user, fix }, what) {
  if (!SYNC_COLLECTIONS.includes(collection)) {
    throw invalid(`${what}: collection must be one of ${SYNC_COLLECTIONS.join(', ')}`);
  }
  optionalString(user, 'user');
  if (typeof fix !== 'boolean') throw typeError('fix must be a boolean');
  const options = { collection, fix };
  if (user !== undefined && user !== null) options.user = user;
  return JSON.stringify(options);
}

// Date | number (ms since the epoch) | ISO 8601 string -> integer ms.
function toUnixMs(date, name = 'date') {
  let ms;
  if (date instanceof Date) ms = date.getTime();
  else if (typeof date === 'number') ms = date;
  else if (typeof date === 'string') ms = Date.parse(date);
  else throw typeError(`${name} must be a Date, a number of milliseconds or an ISO 8601 string`);
  if (!Number.isFinite(ms)) throw invalid(`${name} is not a valid date`);
  return Math.trunc(ms);
}

// audit / backfill options: camelCase in JS, the C ABI's snake_case JSON (docs/audit.md).
const AUDIT_KEYS = {
  all: 'all',
  limit: 'limit',
  user: 'user',
  tenant: 'tenant',
  deep: 'deep',
  deepConcurrency: 'deep_concurrency',
  ignoreDids: 'ignore_dids',
  stuckAfterMs: 'stuck_after_ms',
};
const BACKFILL_KEYS = {
  fix: 'fix',
  concurrency: 'concurrency',
  deleteOrphans: 'delete_orphans',
  budgetMs: 'budget_ms',
};

function auditOptionsJson(options, backfill) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError('options must be an object ({ all: true }, { limit: N } or { user: sub })');
  }
  const out = {};
  for (const key of Object.keys(options)) {
    const name = Object.hasOwn(AUDIT_KEYS, key)
      ? AUDIT_KEYS[key]
      : backfill && Object.hasOwn(BACKFILL_KEYS, key)
        ? BACKFILL_KEYS[key]
        : null;
    if (name === null) throw invalid(`unknown ${backfill ? 'backfill' : 'audit'} option "${key}"`);
    if (options[key] !== undefined) out[name] = options[key];
  }
  // The library checks every value (types, ranges, one scope) and rejects with ACID_EINVAL.
  return JSON.stringify(out);
}

const CONFIG_STRINGS = {
  storeUri: 'ACID_STORE',
  pdsUrl: 'PDS_URL',
  pdsAdminPassword: 'PDS_ADMIN_PASSWORD',
  pdsHandleDomain: 'ACID_PDS_HANDLE_DOMAIN',
  auth0LogToken: 'AUTH0_LOG_TOKEN',
  sotceAuth0LogToken: 'SOTCE_AUTH0_LOG_TOKEN',
  credentialsKey: 'ACID_CREDENTIALS_KEY',
  handleChangedToken: 'ACID_HANDLE_CHANGED_TOKEN',
};
const CONFIG_KEYS = new Set([
  ...Object.keys(CONFIG_STRINGS),
  'allowPlaintextCredentials',
  'maxAttempts',
  'jobLeaseMs',
  'useEnvironment',
  'onLog',
  'onAlert',
]);

// Checks the config's shape; the library validates the values (and reads the environment for
// anything unset when useEnvironment is true, the default).
function normalizeConfig(config) {
  if (config === undefined || config === null) config = {};
  if (typeof config !== 'object') throw typeError('config must be an object');
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key)) throw invalid(`config.${key} is not a known setting`);
  }
  const out = {};
  for (const key of Object.keys(CONFIG_STRINGS)) {
    optionalString(config[key], `config.${key}`);
    if (config[key] !== undefined && config[key] !== null) out[key] = config[key];
  }
  const { allowPlaintextCredentials, maxAttempts, jobLeaseMs, useEnvironment, onLog, onAlert } = config;
  if (allowPlaintextCredentials !== undefined) {
    if (typeof allowPlaintextCredentials !== 'boolean') {
      throw typeError('config.allowPlaintextCredentials must be a boolean');
    }
    out.allowPlaintextCredentials = allowPlaintextCredentials;
  }
  if (maxAttempts !== undefined) {
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw invalid('config.maxAttempts must be an integer from 1 to 100');
    }
    out.maxAttempts = maxAttempts;
  }
  if (jobLeaseMs !== undefined) {
    if (!Number.isInteger(jobLeaseMs) || jobLeaseMs < 1000 || jobLeaseMs > 2 ** 31 - 1) {
      throw invalid('config.jobLeaseMs must be an integer of at least 1000');
    }
    out.jobLeaseMs = jobLeaseMs;
  }
  if (useEnvironment !== undefined) {
    if (typeof useEnvironment !== 'boolean') throw typeError('config.useEnvironment must be a boolean');
    out.useEnvironment = useEnvironment;
  }
  // The library hands over JSON text; the callbacks get the parsed object. An exception thrown by
  // a callback is an uncaught exception, as for any event handler.
  if (onLog !== undefined) {
    if (typeof onLog !== 'function') throw typeError('config.onLog must be a function');
    out.onLog = (line) => onLog(JSON.parse(line));
  }
  if (onAlert !== undefined) {
    if (typeof onAlert !== 'function') throw typeError('config.onAlert must be a function');
    out.onAlert = (json) => onAlert(JSON.parse(json));
  }
  return out;
}

const TENANTS = { aesthetic: 0, sotce: 1 };

function headerValue(headers, name) {
  if (headers === undefined || headers === null) return null;
  if (typeof headers !== 'object') throw typeError('headers must be an object');
  if (typeof headers.get === 'function' && typeof headers.has === 'function') {
    return headers.get(name); // a WHATWG Headers object (Netlify functions v2)
  }
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const v = headers[key];
    if (Array.isArray(v)) return v.length ? String(v[0]) : null;
    return v === undefined || v === null ? null : String(v);
  }
  return null;
}

function closedError() {
  return new AcidentityError('acidentity: the client is closed (close() was called)', {
    code: 'ACID_ECLOSED',
  });
}

class Identity {
  /**
   * Starts opening the client (reading the configuration, opening and migrating the store) off
   * the main thread. Calls made before it is open wait for it; `ready` settles when it is.
   */
  constructor(config) {
    const options = normalizeConfig(config);
    this._handle = null;
    this._closed = false;
    this._closing = null;
    this._waiting = 0; // calls queued on _ready, issued in order before a later close()
    this._ready = native.open(options).then(
      (handle) => {
        this._handle = handle;
        return this;
      },
      (e) => {
        throw fromNative(e);
      },
    );
    // The failure is reported by `ready` and by every call; this only marks it observed so that
    // an Identity nobody uses does not crash the process with an unhandled rejection.
    this._ready.catch(() => undefined);
  }

  /** Opens a client and resolves once it is ready (rejects with the configuration error). */
  static async open(config) {
    const identity = new Identity(config);
    try {
      return await identity._ready;
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Settles when the client is open: resolves to this Identity or rejects with why not. */
  get ready() {
    return this._ready;
  }

  get closed() {
    return this._closed;
  }

  // Issues fn(handle) now when open, else after opening; a call made before close() is issued
  // before the client closes (close() waits for it), a call made after rejects with ACID_ECLOSED.
  _call(fn) {
    if (this._closed) return Promise.reject(closedError());
    if (this._handle !== null) return fn(this._handle);
    this._waiting++;
    return this._ready.then(
      () => {
        this._waiting--;
        return fn(this._handle);
      },
      (e) => {
        this._waiting--;
        throw e;
      },
    );
  }

  /**
   * Closes the client: calls already made finish first, later ones reject with ACID_ECLOSED; the
   * store is closed off the main thread. Idempotent: every call returns the same promise.
   */
  close() {
    if (this._closing) return this._closing;
    this._closed = true;
    const closeNow = () => native.close(this._handle);
    if (this._handle !== null && this._waiting === 0) {
      this._closing = closeNow();
    } else {
      // Nothing to close when opening failed; that failure is reported by `ready` and the calls.
      this._closing = this._ready.then(closeNow, () => undefined);
    }
    this._closing = this._closing.catch((e) => {
      throw fromNative(e);
    });
    return this._closing;
  }

  /**
   * One Auth0 log-stream delivery. `headers` is looked up case-insensitively for Authorization;
   * `body` is the raw request body. Resolves to an HTTP answer ready to return from a Netlify
   * function: { status, statusCode, headers, body } (body: JSON text).
   */
  async handleAuth0Events({ headers, body, tenant = 'aesthetic' } = {}) {
    if (!Object.hasOwn(TENANTS, tenant)) throw invalid("tenant must be 'aesthetic' or 'sotce'");
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
      if (body instanceof Uint8Array) body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      else throw typeError('body must be a string, a Buffer or a Uint8Array');
    }
    const authorization = headerValue(headers, 'authorization');
    try {
      const r = await this._call((h) => native.handleLogStream(h, TENANTS[tenant], authorization, body));
      return {
        status: r.status,
        statusCode: r.status,
        headers: { 'content-type': 'application/json' },
        body: r.body,
      };
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Runs due provisioning jobs within a time budget: {ran, done, retried, failed, ...}. */
  async runJobs({ budgetMs = 10_000, maxJobs = 100 } = {}) {
    if (!Number.isInteger(budgetMs) || budgetMs < 0) throw invalid('budgetMs must be a non-negative integer');
    if (!Number.isInteger(maxJobs) || maxJobs < 0 || maxJobs > 1_000_000) {
      throw invalid('maxJobs must be an integer from 0 to 1000000');
    }
    try {
      return JSON.parse(await this._call((h) => native.runJobs(h, budgetMs, maxJobs)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** A user's record (never the password); rejects ACID_ENOTFOUND for an unknown sub. */
  async getUser(sub) {
    requireString(sub, 'sub');
    try {
      return JSON.parse(await this._call((h) => native.userGet(h, sub)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Moves a failed user back to pending with a fresh job (ACID_ECONFLICT if not failed). */
  async retryUser(sub) {
    requireString(sub, 'sub');
    try {
      await this._call((h) => native.userRetry(h, sub));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * A person's AC handle changed: records it (AC rules; ACID_ECONFLICT when someone else has it)
   * and schedules the job that moves their PDS handle (runJobs runs it; falls back to the code
   * handle when the PDS refuses). The same handle twice makes one PDS call at most.
   */
  async handleChanged(sub, handle) {
    requireString(sub, 'sub');
    requireString(handle, 'handle');
    try {
      await this._call((h) => native.handleChanged(h, sub, handle));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** The same as handleChanged (its first name). */
  async setHandle(sub, handle) {
    return this.handleChanged(sub, handle);
  }

  /**
   * The HTTP form of handleChanged: body {"sub","handle"}, authorized by handleChangedToken
   * [ACID_HANDLE_CHANGED_TOKEN]. Resolves to { status, statusCode, headers, body } (200, 400,
   * 401/403, 404, 409, 413 or 503).
   */
  async handleChangeRequest({ headers, body } = {}) {
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
      if (body instanceof Uint8Array) body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      else throw typeError('body must be a string, a Buffer or a Uint8Array');
    }
    const authorization = headerValue(headers, 'authorization');
    try {
      const r = await this._call((h) => native.handleChangedRequest(h, authorization, body));
      return {
        status: r.status,
        statusCode: r.status,
        headers: { 'content-type': 'application/json' },
        body: r.body,
      };
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Deletes a person as an Auth0 `sdu` event does: marked deleted, the PDS account deleted by a
   * job (runJobs), the code kept. Rejects ACID_ENOTFOUND for an unknown sub; repeating is a no-op.
   */
  async deleteUser(sub) {
    requireString(sub, 'sub');
    try {
      await this._call((h) => native.userDelete(h, sub));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * The person's PDS credentials with the password opened (unsealed):
   * { did, handle, password, service }. For code that logs in itself; prefer pdsSession, which
   * logs in once and shares the session. Rejects ACID_ENOTFOUND (unknown sub), ACID_ENOACCOUNT
   * (no usable PDS account yet, deleted, or no stored password) or ACID_ESEALED (the stored value
   * cannot be opened with the configured key). The password is a secret: never log it.
   */
  async pdsCredentials(sub) {
    requireString(sub, 'sub');
    try {
      return JSON.parse(await this._call((h) => native.pdsCredentials(h, sub)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * A PDS session of the person: { did, handle, service, accessJwt, refreshJwt }. The first call
   * logs in (createSession); later calls return the cached session, refreshed shortly before the
   * access token expires. Concurrent calls for one person share one login. Errors as
   * pdsCredentials, plus the PDS's own (ACID_EAUTH, ACID_ERATELIMIT, ACID_EUNAVAILABLE).
   */
  async pdsSession(sub) {
    requireString(sub, 'sub');
    try {
      return JSON.parse(await this._call((h) => native.pdsSession(h, sub)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * How the stored PDS passwords stand:
   * { accounts, sealed, old_key, plaintext, missing, service_plaintext, key }.
   */
  async credentialsStatus() {
    try {
      return JSON.parse(await this._call((h) => native.credentialsStatus(h)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Seals stored PDS passwords with the primary key (`acidentity credentials seal`): exactly one
   * of { all: true } or { user: sub }, plus dryRun. Only after every reader of
   * users.atproto.password uses the library (docs/migrating.md). Resolves to the report
   * { dry_run, key, checked, sealed | would_seal, resealed | would_reseal, already_sealed,
   * skipped, failed }.
   */
  async sealCredentials({ all, user, dryRun = false } = {}) {
    optionalString(user, 'user');
    if (all !== undefined && typeof all !== 'boolean') throw typeError('all must be a boolean');
    if (typeof dryRun !== 'boolean') throw typeError('dryRun must be a boolean');
    const options = { dry_run: dryRun };
    if (all !== undefined) options.all = all;
    if (user !== undefined && user !== null) options.user = user;
    const json = JSON.stringify(options);
    try {
      return JSON.parse(await this._call((h) => native.credentialsSeal(h, json)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** The PDS's describeServer answer. */
  async pdsDescribe() {
    try {
      return JSON.parse(await this._call((h) => native.pdsDescribe(h)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Audits Auth0, the store and the PDS against each other (acid_audit). Options: exactly one of
   * { all: true } | { limit: N } | { user: sub }, plus tenant, deep, deepConcurrency, ignoreDids,
   * stuckAfterMs. Resolves to the report (docs/audit.md); `clean` is false when there are findings.
   */
  async audit(options) {
    const json = auditOptionsJson(options, false);
    try {
      return JSON.parse(await this._call((h) => native.audit(h, json)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Plans (dry run) or, with fix: true, repairs what the audit finds (acid_backfill). Same options
   * as audit plus fix, concurrency, deleteOrphans, budgetMs. onProgress, if given, receives
   * { phase, done, total, failed, elapsed_s } objects on the event loop while it runs (the last
   * ones may arrive just after the promise settles).
   */
  async backfill(options, onProgress) {
    if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
      throw typeError('onProgress must be a function');
    }
    const json = auditOptionsJson(options, true);
    const cb = onProgress ? (line) => onProgress(JSON.parse(line)) : undefined;
    try {
      return JSON.parse(await this._call((h) => native.backfill(h, json, cb)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Counters in the Prometheus text format. */
  async metrics() {
    try {
      return await this._call((h) => native.metrics(h));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Mirrors moods / paintings into each person's PDS repo (docs/sync.md). A dry run unless
   * `fix` is true. `onProgress` receives one object per user done.
   */
  async syncRecords({ collection = 'all', user, fix = false } = {}, onProgress) {
    const options = syncOptions({ collection, user, fix }, 'syncRecords');
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw typeError('onProgress must be a function');
    }
    const progress = onProgress && ((text) => onProgress(JSON.parse(text)));
    try {
      return JSON.parse(await this._call((h) => native.syncRecords(h, options, progress)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Compares repos with the store (missing, extra, duplicate records); `fix` repairs. */
  async syncVerify({ collection = 'all', user, fix = false } = {}) {
    const options = syncOptions({ collection, user, fix }, 'syncVerify');
    try {
      return JSON.parse(await this._call((h) => native.syncVerify(h, options)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Mirrors one document now, by its current state (created, updated or deleted on the PDS):
   * the call to make right after storing it (docs/sync.md "One document, now"). Exactly once: a
   * second call, or a batch sync racing it, leaves one record. Resolves to the report
   * `{collection, id, action, repo?, rkey?, uri?, cid?, reason?, blobs_missing?}`.
   */
  async mirrorContent(collection, id) {
    requireString(collection, 'collection');
    requireString(id, 'id');
    try {
      return JSON.parse(await this._call((h) => native.syncDocument(h, collection, id)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Inserts or updates source documents from JSON lines (string, Buffer or Uint8Array); nothing is
   * written on a bad line. */
  async importContent(jsonl) {
    if (typeof jsonl !== 'string' && !Buffer.isBuffer(jsonl)) {
      if (!(jsonl instanceof Uint8Array)) throw typeError('jsonl must be a string, a Buffer or a Uint8Array');
      jsonl = Buffer.from(jsonl.buffer, jsonl.byteOffset, jsonl.byteLength);
    }
    try {
      return JSON.parse(await this._call((h) => native.contentImport(h, jsonl)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Marks one document deleted; the next sync removes its record. */
  async deleteContent(collection, id) {
    requireString(collection, 'collection');
    requireString(id, 'id');
    try {
      await this._call((h) => native.contentDelete(h, collection, id));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Allocates a unique user code for a signup at `date` (Date, ms or ISO string). */
  async allocateUserCode(date) {
    const ms = toUnixMs(date);
    try {
      return await this._call((h) => native.codeAllocate(h, ms));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /**
   * Allocation statistics for one year (2025 or 25) or, without a year, every year seen:
   * {years: [{year, allocated, legacy, blocked, remaining, capacity, counter, skipped}]}.
   */
  async userCodeStats(year) {
    let yy = -1;
    if (year !== undefined && year !== null) {
      if (!Number.isInteger(year)) throw invalid('year must be an integer');
      if (year >= 2000 && year <= 2099) yy = year - 2000;
      else if (year >= 0 && year <= 99) yy = year;
      else throw invalid('year must be 2000-2099 or a two-digit year 0-99');
    }
    try {
      return JSON.parse(await this._call((h) => native.codeStats(h, yy)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** In-flight calls (diagnostics). */
  get pendingCalls() {
    return this._handle === null ? this._waiting : native.inFlight(this._handle) + this._waiting;
  }
}

// ---- pure helpers (synchronous, no client) ----------------------------------------------------

/** A random code in the format of a signup at `date` (default now). A preview: not reserved. */
function generateUserCode(date = new Date()) {
  const ms = toUnixMs(date);
  try {
    return native.codeGenerate(ms);
  } catch (e) {
    throw fromNative(e);
  }
}

/** True when `code` is a valid user code (exactly the deployed rule). Non-strings are invalid. */
function isValidUserCode(code) {
  return typeof code === 'string' && native.codeCheck(code) === true;
}

/** Why `code` is not a valid user code, or null when it is. */
function userCodeProblem(code) {
  if (typeof code !== 'string') return 'the code is not a string';
  const r = native.codeCheck(code);
  return r === true ? null : r;
}

/** The first user code in `text` (case-insensitive, returned lowercased), or null. */
function parseUserCode(text) {
  requireString(text, 'text');
  try {
    return native.codeParse(text);
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * The PDS handle the rules choose for an AC handle (null for none) and a user code:
 * {handle, fallback, reason}. `domain` defaults to at.aesthetic.computer.
 */
function choosePdsHandle(handle, code, domain) {
  optionalString(handle, 'handle');
  requireString(code, 'code');
  optionalString(domain, 'domain');
  try {
    return JSON.parse(native.handleChoose(handle ?? null, code, domain ?? null));
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * Checks a set-up without opening a client: configuration (which settings are present, never
 * their values), the store (schema; MongoDB indexes, created when `fix` is true), the PDS (answers,
 * admin password accepted, invites, handle domain), the Auth0 webhook tokens and M2M clients, and
 * the credentials key. Resolves to {checks: [{name, status: 'ok'|'warn'|'fail', message,
 * detail?}], ok}; rejects only when the check itself could not run.
 */
async function doctor(config, { fix = false } = {}) {
  const options = normalizeConfig(config);
  delete options.onLog;
  delete options.onAlert;
  if (typeof fix !== 'boolean') throw typeError('fix must be a boolean');
  try {
    return JSON.parse(await native.doctor(options, fix));
  } catch (e) {
    throw fromNative(e);
  }
}

/** The loaded library's version and the binding's Node-API version. */
function version() {
  return native.version();
}

module.exports = {
  Identity,
  AcidentityError,
  generateUserCode,
  isValidUserCode,
  userCodeProblem,
  parseUserCode,
  choosePdsHandle,
  doctor,
  version,
  USER_CODES_PER_YEAR: 109744,
  ENV: Object.freeze({ ...CONFIG_STRINGS }),
};
