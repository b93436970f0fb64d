// Netlify scheduled function: runs the due jobs (create, re-handle, delete PDS accounts) within
// the function's time limit. A scheduled function may run for 30 s; runJobs stops starting new
// jobs after ACID_JOBS_BUDGET_MS (default 20 s), which leaves room for the job in progress (each
// PDS request is bounded by the library's own timeouts) and the answer. Jobs still due are taken
// by the next run; a job whose worker was killed mid-way resumes when its lease expires.
//
// Every 5 minutes: a verified signup has its PDS account within about 5 minutes, a failed attempt
// is retried at its backoff time to within 5 minutes, and a run with nothing due is one store
// query. docs/deploy-netlify.md says why not more often or less.
//
// A person whose job fails permanently (ACID_MAX_ATTEMPTS) is an `acidentity.alert` line at level
// "alert" in this function's log (lib/shared.mjs), and counted in the summary's `failed`.
import { flushLogs, identity, logFailure, logLine } from '../../lib/shared.mjs';

export const config = { schedule: '*/5 * * * *' };

// The 30 s limit of a scheduled function, less the margin kept for the job in flight.
const MAX_BUDGET_MS = 25_000;

function settings() {
  const budgetMs = Number.parseInt(process.env.ACID_JOBS_BUDGET_MS ?? '20000', 10);
  const maxJobs = Number.parseInt(process.env.ACID_JOBS_MAX ?? '200', 10);
  if (!(budgetMs > 0 && budgetMs <= MAX_BUDGET_MS) || !(maxJobs > 0)) {
    throw Object.assign(
      new Error(`ACID_JOBS_BUDGET_MS must be 1..${MAX_BUDGET_MS} and ACID_JOBS_MAX at least 1`),
      { code: 'ACID_ECONFIG' },
    );
  }
  return { budgetMs, maxJobs };
}

// Runs jobs once; resolves to the library's summary {ran, done, retried, failed, superseded,
// remaining_due}.
export async function runScheduledJobs(options = settings()) {
  const client = await identity();
  const summary = await client.runJobs(options);
  logLine({ event: 'jobs.run', ...options, ...summary });
  return summary;
}

export default async function scheduledJobs() {
  let response;
  try {
    const summary = await runScheduledJobs();
    response = new Response(JSON.stringify(summary), { status: 200, headers: { 'content-type': 'application/json' } });
  } catch (e) {
    logFailure('scheduled-jobs', e);
    response = new Response(JSON.stringify({ error: 'jobs not run', code: e.code ?? null }), {
      status: 500,
      headers: { 'content-type': 'application/json' },
    });
  }
  await flushLogs();
  return response;
}
