// Type declarations for acidentity (hand-written; checked by types/check.ts with tsc --noEmit).

/** A status name of the C library, or a code the binding raises itself. */
export type AcidentityErrorCode =
  | 'ACID_EINVAL'
  | 'ACID_ENOMEM'
  | 'ACID_ENOTFOUND'
  | 'ACID_EEXISTS'
  | 'ACID_ECONFLICT'
  | 'ACID_ESTORE'
  | 'ACID_EUNAVAILABLE'
  | 'ACID_EEXHAUSTED'
  | 'ACID_ECONFIG'
  | 'ACID_EPDS'
  | 'ACID_EAUTH'
  | 'ACID_ERATELIMIT'
  | 'ACID_ETIMEOUT'
  | 'ACID_EVERSION'
  | 'ACID_EINTERNAL'
  /** the user has no usable PDS account (none yet, deleted, no stored password) */
  | 'ACID_ENOACCOUNT'
  /** the stored credential cannot be opened with the configured key */
  | 'ACID_ESEALED'
  /** binding only: the Identity was closed */
  | 'ACID_ECLOSED';

export class AcidentityError extends Error {
  readonly name: 'AcidentityError';
  /** Stable string code, e.g. 'ACID_ENOTFOUND'. */
  readonly code: AcidentityErrorCode;
  /** The C status (negative), or null for binding-only codes. */
  readonly errno: number | null;
  /** The HTTP status involved (e.g. the PDS's answer), or null. */
  readonly status: number | null;
  /** Machine-readable detail from the library (e.g. {http_status, xrpc_error, retry_after_ms}). */
  readonly detail: Record<string, unknown>;
  constructor(
    message: string,
    options?: { code?: AcidentityErrorCode; errno?: number | null; detail?: Record<string, unknown>; cause?: unknown },
  );
}

/** Settings; each one unset falls back to its environment variable when useEnvironment is true. */
export interface IdentityConfig {
  /** "sqlite:PATH" or "mongodb://..." [ACID_STORE, or MONGODB_CONNECTION_STRING + MONGODB_NAME] */
  storeUri?: string;
  /** [PDS_URL] */
  pdsUrl?: string;
  /** [PDS_ADMIN_PASSWORD] */
  pdsAdminPassword?: string;
  /** [ACID_PDS_HANDLE_DOMAIN], default at.aesthetic.computer */
  pdsHandleDomain?: string;
  /** [AUTH0_LOG_TOKEN] */
  auth0LogToken?: string;
  /** [SOTCE_AUTH0_LOG_TOKEN] */
  sotceAuth0LogToken?: string;
  /** base64 AES-256 key or key ring [ACID_CREDENTIALS_KEY] */
  credentialsKey?: string;
  /** token of handleChangeRequest / POST /handle-changed [ACID_HANDLE_CHANGED_TOKEN] */
  handleChangedToken?: string;
  /** unset: from [ACID_ALLOW_PLAINTEXT_CREDENTIALS] (default false) */
  allowPlaintextCredentials?: boolean;
  /** 1..100; unset: from [ACID_MAX_ATTEMPTS] (default 8) */
  maxAttempts?: number;
  /** How long a worker holds a job before another may take it over, >= 1000; unset: from
   * [ACID_JOB_LEASE_MS] (default 120000). */
  jobLeaseMs?: number;
  /** default true */
  useEnvironment?: boolean;
  /** One structured log line (parsed); called on the main thread. */
  onLog?: (line: Record<string, unknown>) => void;
  /** A permanent failure: {sub, kind, attempts, error}; called on the main thread. */
  onAlert?: (alert: AlertEvent) => void;
}

export interface AlertEvent {
  sub?: string;
  kind?: string;
  attempts?: number;
  error?: Record<string, unknown>;
  [key: string]: unknown;
}

export type Tenant = 'aesthetic' | 'sotce';

export type HeaderBag =
  | Record<string, string | string[] | undefined | null>
  | { get(name: string): string | null; has(name: string): boolean };

export interface Auth0EventsRequest {
  headers?: HeaderBag | null;
  /** The raw request body: a string, or bytes (a Buffer is a Uint8Array). */
  body: string | Uint8Array;
  tenant?: Tenant;
}

export interface HandleChangeRequest {
  headers?: HeaderBag | null;
  /** {"sub": "...", "handle": "..."} as JSON text or bytes. */
  body: string | Uint8Array;
}

export interface HttpAnswer {
  status: number;
  /** Same as status: the field name a Netlify function returns. */
  statusCode: number;
  headers: { 'content-type': 'application/json' };
  /** JSON text. */
  body: string;
}

/** The 200 answer's body (parsed). */
export interface Auth0EventsSummary {
  received: number;
  applied: number;
  duplicates: number;
  ignored: number;
  codes_assigned: number;
  jobs_scheduled: number;
  rejected: Array<{ index: number; log_id: string | null; reason: string }>;
}

export interface RunJobsOptions {
  /** Stop starting jobs after this many milliseconds (default 10000). */
  budgetMs?: number;
  /** At most this many jobs (default 100). */
  maxJobs?: number;
}

export interface RunJobsSummary {
  ran: number;
  done: number;
  retried: number;
  failed: number;
  superseded: number;
  remaining_due: boolean;
}

export type AccountState = string;

export interface UserRecord {
  sub: string;
  code: string | null;
  when: string | null;
  verifications: number | null;
  email_verified: boolean;
  signed_up_at: string | null;
  verified_at: string | null;
  deleted_at: string | null;
  handle: string | null;
  state: AccountState;
  did: string | null;
  pds_handle: string | null;
  pds_created_at: string | null;
  credentials: 'sealed' | 'plaintext' | null;
  attempts: number;
  last_error: Record<string, unknown> | null;
  jobs: Array<{ kind: string; status: 'open' | 'failed'; attempts: number; due: string }>;
}

export interface UserCodeYearStats {
  year: number;
  allocated: number;
  legacy: number;
  blocked: number;
  remaining: number;
  capacity: number;
  counter: number;
  skipped: number;
}

export interface PdsHandleChoice {
  handle: string;
  fallback: boolean;
  reason: string;
}

/** A person's PDS credentials (pdsCredentials): the password in clear. */
export interface PdsCredentials {
  did: string;
  /** The PDS handle the store knows ("" when none is recorded). */
  handle: string;
  /** A secret: never log it. */
  password: string;
  /** The PDS base URL (PDS_URL). */
  service: string;
}

/** A cached PDS session (pdsSession). */
export interface PdsSession {
  did: string;
  handle: string;
  service: string;
  accessJwt: string;
  refreshJwt: string;
}

/** How the stored PDS passwords stand (credentialsStatus). */
export interface CredentialsStatus {
  /** Users with a DID. */
  accounts: number;
  sealed: number;
  /** Of the sealed ones, sealed with a key other than the primary. */
  old_key: number;
  plaintext: number;
  /** A DID without a stored password. */
  missing: number;
  /** Plaintext values of service accounts (never sealed). */
  service_plaintext: number;
  /** The primary key id, or null without ACID_CREDENTIALS_KEY. */
  key: string | null;
}

/** Exactly one of all or user; dryRun reports without writing. */
export type SealCredentialsOptions =
  | { all: true; user?: never; dryRun?: boolean }
  | { user: string; all?: never; dryRun?: boolean };

export interface SealCredentialsReport {
  dry_run: boolean;
  key: string;
  checked: number;
  sealed?: number;
  resealed?: number;
  would_seal?: number;
  would_reseal?: number;
  already_sealed: number;
  skipped: Array<{ sub: string; reason: string }>;
  failed: Array<{ sub: string; code: AcidentityErrorCode; error: string }>;
}

export type DateInput = Date | number | string;

export type ContentCollection = 'moods' | 'paintings' | 'kidlisp' | 'tapes' | 'pieces';
export type SyncCollection = ContentCollection | 'all';

export interface SyncOptions {
  /** default 'all' */
  collection?: SyncCollection;
  /** only this person (sub) */
  user?: string;
  /** write (syncRecords) or repair (syncVerify); default false: a dry run */
  fix?: boolean;
}

export interface SyncProgress {
  collection: string;
  user: string;
  users_done: number;
  created: number;
  retried: number;
  updated: number;
  deleted: number;
  failed: number;
  skipped_users: number;
}

export interface SyncFailure {
  collection: string;
  user: string;
  id?: string;
  op: string;
  code: string;
  message: string;
  detail: Record<string, unknown>;
}

export interface SyncSkip {
  collection: string;
  user: string;
  reason: string;
}

export interface SyncCollectionReport {
  collection: string;
  nsid: string;
  resumed_after?: string;
  users: number;
  skipped_users: number;
  unchanged: number;
  created?: number;
  retried?: number;
  updated?: number;
  deleted?: number;
  failed?: number;
  fallbacks?: number;
  batches?: number;
  would_create?: number;
  would_update?: number;
  would_delete?: number;
}

export interface SyncReport {
  dry_run: boolean;
  collections: SyncCollectionReport[];
  skipped: SyncSkip[];
  failures: SyncFailure[];
  failures_total: number;
  pds_calls: number;
}

export interface VerifyIssue {
  collection: string;
  user: string;
  kind: 'missing' | 'extra' | 'duplicate' | 'unreferenced' | 'stale_pointer';
  ref?: string;
  rkeys: string[];
}

export interface VerifyReport {
  fix: boolean;
  collections: Array<{
    collection: string;
    nsid: string;
    users: number;
    skipped_users: number;
    documents: number;
    records: number;
    missing: number;
    extra: number;
    duplicates: number;
    unreferenced: number;
    stale_pointers: number;
    failed: number;
    fixed?: Record<string, number>;
  }>;
  issues: VerifyIssue[];
  issues_total: number;
  skipped: SyncSkip[];
  failures: SyncFailure[];
  failures_total: number;
  pds_calls: number;
}

export interface ContentImportReport {
  documents: number;
  changed: number;
  unchanged: number;
  collections: Record<string, number>;
}

export class Identity {
  /** Starts opening the client off the main thread; calls wait for it. */
  constructor(config?: IdentityConfig);
  /** Opens a client and resolves once it is ready. */
  static open(config?: IdentityConfig): Promise<Identity>;
  /** Resolves to this Identity once open, or rejects with why it could not open. */
  readonly ready: Promise<Identity>;
  readonly closed: boolean;
  /** Calls made and not yet settled. */
  readonly pendingCalls: number;
  /** Waits for calls in flight, then closes the store. Idempotent. */
  close(): Promise<void>;

  handleAuth0Events(request: Auth0EventsRequest): Promise<HttpAnswer>;
  runJobs(options?: RunJobsOptions): Promise<RunJobsSummary>;
  getUser(sub: string): Promise<UserRecord>;
  retryUser(sub: string): Promise<void>;
  /** Records the new AC handle and schedules the PDS handle update (runJobs runs it). */
  handleChanged(sub: string, handle: string): Promise<void>;
  /** The same as handleChanged. */
  setHandle(sub: string, handle: string): Promise<void>;
  /** The HTTP form of handleChanged, authorized by handleChangedToken. */
  handleChangeRequest(request: HandleChangeRequest): Promise<HttpAnswer>;
  /** Marks the person deleted and schedules the PDS account deletion; the code is kept. */
  deleteUser(sub: string): Promise<void>;
  pdsDescribe(): Promise<Record<string, unknown>>;
  /** The person's PDS credentials, password opened (ACID_ENOTFOUND / ACID_ENOACCOUNT / ACID_ESEALED). */
  pdsCredentials(sub: string): Promise<PdsCredentials>;
  /** A cached PDS session: logs in once, refreshed before expiry; same errors as pdsCredentials. */
  pdsSession(sub: string): Promise<PdsSession>;
  /** Sealed / plaintext / missing counts of the stored PDS passwords. */
  credentialsStatus(): Promise<CredentialsStatus>;
  /** Seals stored passwords on purpose (after the readers are migrated: docs/migrating.md). */
  sealCredentials(options: SealCredentialsOptions): Promise<SealCredentialsReport>;
  metrics(): Promise<string>;
  audit(options: AuditOptions): Promise<AuditReport>;
  backfill(options: BackfillOptions, onProgress?: (progress: BackfillProgress) => void): Promise<BackfillReport>;
  /** Mirrors content records into PDS repos; a dry run unless fix is true. */
  syncRecords(options?: SyncOptions, onProgress?: (progress: SyncProgress) => void): Promise<SyncReport>;
  syncVerify(options?: SyncOptions): Promise<VerifyReport>;
  importContent(jsonl: string | Uint8Array): Promise<ContentImportReport>;
  deleteContent(collection: ContentCollection, id: string): Promise<void>;
  /** Mirrors one document now by its current state (docs/sync.md "One document, now"). */
  mirrorContent(collection: ContentCollection, id: string): Promise<DocumentSyncReport>;
  allocateUserCode(date: DateInput): Promise<string>;
  userCodeStats(year?: number): Promise<{ years: UserCodeYearStats[] }>;
}

export interface DocumentSyncReport {
  collection: string;
  id: string;
  action: 'created' | 'retried' | 'updated' | 'deleted' | 'unchanged' | 'skipped';
  repo?: string;
  rkey?: string;
  uri?: string;
  cid?: string;
  /** why a skipped document has no repo to go to */
  reason?: string;
  /** blobs the record was written without, and why (e.g. the thumbnail: "http_status") */
  blobs_missing?: { blob: string; reason: string; message?: string }[];
}

export function generateUserCode(date?: DateInput): string;
export function isValidUserCode(code: unknown): boolean;
export function userCodeProblem(code: unknown): string | null;
export function parseUserCode(text: string): string | null;
export function choosePdsHandle(handle: string | null | undefined, code: string, domain?: string | null): PdsHandleChoice;
/** Audit scope: exactly one of all / limit / user (docs/audit.md). */
export type AuditScope = { all: true; limit?: never; user?: never } | { limit: number; all?: never; user?: never } | { user: string; all?: never; limit?: never };

export type AuditOptions = AuditScope & {
  tenant?: 'aesthetic' | 'sotce' | 'all';
  /** Log in with every stored password (createSession), rate-limit aware. */
  deep?: boolean;
  deepConcurrency?: number;
  /** PDS accounts that belong to no user by design: never orphans. */
  ignoreDids?: string[];
  stuckAfterMs?: number;
};

export type BackfillOptions = AuditOptions & {
  /** Apply the plan (default: dry run). */
  fix?: boolean;
  concurrency?: number;
  /** Delete orphan PDS accounts (needs { all: true }). */
  deleteOrphans?: boolean;
  budgetMs?: number;
};

export type FindingKind =
  | 'missing_verifications'
  | 'missing_users_record'
  | 'missing_code'
  | 'invalid_code'
  | 'duplicate_code'
  | 'verified_no_pds_account'
  | 'did_unknown_to_pds'
  | 'pds_handle_differs'
  | 'stale_handle_domain'
  | 'orphan_pds_account'
  | 'credentials_unusable'
  | 'plaintext_credentials'
  | 'state_failed'
  | 'state_stuck'
  | 'deleted_in_auth0_on_pds'
  | 'ac_handle_differs'
  | 'users_without_auth0';

export type BackfillAction =
  | 'manual'
  | 'record_signup'
  | 'record_verification'
  | 'schedule_provision'
  | 'retry_failed'
  | 'reprovision'
  | 'resync_handle'
  | 'record_deletion'
  | 'schedule_delete'
  | 'delete_orphan';

export interface AuditFinding {
  kind: FindingKind;
  sub: string | null;
  did: string | null;
  evidence: string;
  action: BackfillAction;
  fix: string;
}

export interface AuditReport {
  schema: 'acidentity.audit/1';
  scope: 'all' | 'recent' | 'user';
  tenant: 'aesthetic' | 'sotce' | 'all';
  deep: boolean;
  clean: boolean;
  stats: {
    users_checked: number;
    auth0_users: number;
    pds_accounts: number;
    pds_dids_checked: number;
    sessions_checked: number;
    unchecked: number;
    seconds: number;
    store_seconds: number;
    pds_seconds: number;
  };
  summary: Record<FindingKind, number>;
  findings: AuditFinding[];
  /** users documents that are not people (art-guest, ACID_SERVICE_ACCOUNTS): never findings. */
  service_accounts: { sub: string; did: string | null; handle: string | null; reason: string }[];
  notes: string[];
}

export interface BackfillPlanEntry {
  action: BackfillAction;
  sub: string | null;
  did: string | null;
  kinds: FindingKind[];
  evidence: string;
  status: 'planned' | 'fixed' | 'failed' | 'skipped';
  error: string | null;
}

export interface BackfillReport {
  schema: 'acidentity.backfill/1';
  dry_run: boolean;
  audit: AuditReport;
  plan: BackfillPlanEntry[];
  totals: { planned: number; fixed: number; failed: number; skipped: number };
  jobs: { ran: number; failed: number };
  after: AuditReport | null;
  seconds: number;
}

export interface BackfillProgress {
  phase: 'audit' | 'apply' | 'jobs' | 'verify' | 'done';
  done: number;
  total: number;
  failed: number;
  elapsed_s: number;
}

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  detail?: unknown;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** true when no check failed */
  ok: boolean;
}

/** Checks a set-up without opening a client; `fix` creates missing MongoDB indexes. */
export function doctor(config?: Omit<IdentityConfig, 'onLog' | 'onAlert'>, options?: { fix?: boolean }): Promise<DoctorReport>;

export function version(): {
  version: string;
  major: number;
  minor: number;
  patch: number;
  headerVersion: string;
  napiVersion: number;
};

export const USER_CODES_PER_YEAR: 109744;
/** config key -> the environment variable it falls back to. */
export const ENV: Readonly<Record<
  'storeUri' | 'pdsUrl' | 'pdsAdminPassword' | 'pdsHandleDomain' | 'auth0LogToken' | 'sotceAuth0LogToken' | 'credentialsKey' | 'handleChangedToken',
  string
>>;
