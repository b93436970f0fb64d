// Type test for index.d.ts: `tsc -p types/tsconfig.json` must pass. Lines under
// expect-error directives must fail to type-check, so a declaration that is too loose fails the test.
import {
  AcidentityError,
  Identity,
  choosePdsHandle,
  doctor,
  generateUserCode,
  isValidUserCode,
  parseUserCode,
  userCodeProblem,
  version,
  USER_CODES_PER_YEAR,
  ENV,
} from '../index.js';
import type {
  AcidentityErrorCode,
  HttpAnswer,
  RunJobsSummary,
  UserRecord,
  UserCodeYearStats,
  PdsHandleChoice,
  IdentityConfig,
  DoctorReport,
  AuditReport,
  BackfillReport,
  BackfillProgress,
  SyncReport,
  SyncProgress,
  VerifyReport,
  ContentImportReport,
  PdsCredentials,
  PdsSession,
  CredentialsStatus,
  SealCredentialsReport,
  DocumentSyncReport,
} from '../index.js';

async function main(): Promise<void> {
  const config: IdentityConfig = {
    storeUri: 'sqlite:/tmp/x.db',
    pdsUrl: 'http://127.0.0.1:1',
    maxAttempts: 3,
    jobLeaseMs: 5000,
    allowPlaintextCredentials: true,
    useEnvironment: false,
    onLog: (line) => void line['event'],
    onAlert: (alert) => void alert.sub,
  };
  const id = new Identity(config);
  const same: Identity = await id.ready;
  const opened: Identity = await Identity.open({ storeUri: 'sqlite::memory:' });
  const answer: HttpAnswer = await id.handleAuth0Events({
    headers: { Authorization: 'token' },
    body: new Uint8Array([91, 93]),
    tenant: 'sotce',
  });
  const status: number = answer.statusCode + answer.status;
  const body: string = answer.body;
  const jobs: RunJobsSummary = await id.runJobs({ budgetMs: 1000, maxJobs: 5 });
  const more: boolean = jobs.remaining_due;
  const user: UserRecord = await id.getUser('auth0|x');
  const did: string | null = user.did;
  await id.retryUser('auth0|x');
  await id.setHandle('auth0|x', 'jeffrey');
  await id.handleChanged('auth0|x', 'jeffrey');
  await id.deleteUser('auth0|x');
  const moved: HttpAnswer = await id.handleChangeRequest({
    headers: { Authorization: 'Bearer t' },
    body: '{"sub":"auth0|x","handle":"jeffrey"}',
  });
  const movedStatus: number = moved.statusCode;
  const desc: Record<string, unknown> = await id.pdsDescribe();
  const text: string = await id.metrics();
  const code: string = await id.allocateUserCode(new Date());
  await id.allocateUserCode('2025-01-01T00:00:00Z');
  await id.allocateUserCode(Date.now());
  const stats: UserCodeYearStats[] = (await id.userCodeStats(2025)).years;
  const pending: number = id.pendingCalls;
  const imported: ContentImportReport = await id.importContent('{"collection":"moods"}\n');
  await id.importContent(new Uint8Array(0));
  const synced: SyncReport = await id.syncRecords({ collection: 'moods', user: 'auth0|x', fix: true },
    (p: SyncProgress) => void p.users_done);
  const created: number | undefined = synced.collections[0]?.created;
  const checked: VerifyReport = await id.syncVerify({ fix: false });
  const dupes: number = checked.issues.filter((i) => i.kind === 'duplicate').length;
  await id.deleteContent('moods', 'x');
  const creds: PdsCredentials = await id.pdsCredentials('auth0|x');
  const session: PdsSession = await id.pdsSession('auth0|x');
  const jwt: string = session.accessJwt + creds.password + creds.service;
  const counts: CredentialsStatus = await id.credentialsStatus();
  const plainCount: number = counts.plaintext;
  const sealedAll: SealCredentialsReport = await id.sealCredentials({ all: true, dryRun: true });
  const sealedOne: SealCredentialsReport = await id.sealCredentials({ user: 'auth0|x' });
  // @ts-expect-error exactly one scope
  await id.sealCredentials({ all: true, user: 'auth0|x' });
  // @ts-expect-error pdsSession needs a sub
  await id.pdsSession();
  void [jwt, plainCount, sealedAll, sealedOne];
  const now: DocumentSyncReport = await id.mirrorContent('paintings', 'x');
  const action: 'created' | 'retried' | 'updated' | 'deleted' | 'unchanged' | 'skipped' = now.action;
  await id.close();
  await opened.close();

  const preview: string = generateUserCode();
  const ok: boolean = isValidUserCode(preview) && isValidUserCode(42);
  const why: string | null = userCodeProblem('nope');
  const parsed: string | null = parseUserCode('hi ac25xadeh');
  const choice: PdsHandleChoice = choosePdsHandle(null, 'ac25xadeh', 'at.aesthetic.test');
  const report: DoctorReport = await doctor({ storeUri: 'sqlite:/tmp/x.db' }, { fix: true });
  const failing: string[] = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  const v: string = version().version;
  const n: 109744 = USER_CODES_PER_YEAR;
  const envName: string = ENV.pdsUrl;

  try {
    await id.getUser('x');
  } catch (e) {
    if (e instanceof AcidentityError) {
      const c: AcidentityErrorCode = e.code;
      const s: number | null = e.status;
      const errno: number | null = e.errno;
      void [c, s, errno, e.detail, e.message, e.stack];
    }
  }

  // @ts-expect-error tenant is 'aesthetic' | 'sotce'
  await id.handleAuth0Events({ body: '', tenant: 'other' });
  // @ts-expect-error body is required
  await id.handleAuth0Events({ headers: {} });
  // @ts-expect-error sub is a string
  await id.getUser(42);
  // @ts-expect-error unknown config key
  new Identity({ storUri: 'sqlite:x' });
  // @ts-expect-error onLog takes one parsed line
  new Identity({ onLog: (a: string, b: string) => void [a, b] });
  // @ts-expect-error setHandle needs a handle
  await id.setHandle('auth0|x');
  // @ts-expect-error handleChanged needs a handle
  await id.handleChanged('auth0|x');
  // @ts-expect-error deleteUser needs a sub
  await id.deleteUser();
  // @ts-expect-error handleChangeRequest needs a body
  await id.handleChangeRequest({ headers: {} });
  // @ts-expect-error parseUserCode returns string | null
  const bad: string = parseUserCode('x');
  // @ts-expect-error code is a string union
  const badCode: AcidentityErrorCode = 'EINVAL';
  // @ts-expect-error doctor's fix is a boolean
  await doctor({}, { fix: 'yes' });
  // @ts-expect-error collection is a content collection or all
  await id.syncRecords({ collection: 'news' });
  // @ts-expect-error mirrorContent needs an id
  await id.mirrorContent('moods');
  // @ts-expect-error fix is a boolean
  await id.syncVerify({ fix: 1 });
  // @ts-expect-error deleteContent needs an id
  await id.deleteContent('moods');
  // @ts-expect-error runJobs resolves to a summary, not a string
  const badJobs: string = await id.runJobs();

  const audited: AuditReport = await id.audit({ all: true, tenant: 'sotce', deep: true, ignoreDids: ['did:plc:x'] });
  const clean: boolean = audited.clean && audited.summary.orphan_pds_account === 0;
  const recent: AuditReport = await id.audit({ limit: 20 });
  const filled: BackfillReport = await id.backfill({ user: 'sotce-auth0|x', fix: true, concurrency: 2 }, (p: BackfillProgress) =>
    void p.phase,
  );
  const fixedCount: number = filled.totals.fixed + (filled.after?.findings.length ?? 0);
  // @ts-expect-error a scope is required
  await id.audit({ tenant: 'all' });
  // @ts-expect-error only one scope
  await id.audit({ all: true, limit: 5 });
  // @ts-expect-error fix is a backfill option
  await id.audit({ all: true, fix: true });
  // @ts-expect-error the progress callback takes a progress object
  await id.backfill({ all: true }, (p: string) => void p);

  void [imported, created, dupes, action, failing, same, status, body, movedStatus, more, did, desc, text, code, stats, pending, ok, why, parsed, choice, v, n, envName, bad, badCode, badJobs, clean, recent, fixedCount];
}

void main;
