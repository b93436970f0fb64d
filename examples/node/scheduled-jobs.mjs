// Netlify scheduled function: runs due provisioning jobs (create / delete PDS accounts) within
// the function's time budget. Scheduled functions may run for 30 s; the budget below stops
// starting new jobs after ACID_JOBS_BUDGET_MS (default 20 s), which leaves room for the job in
// progress (one PDS request attempt is bounded by the library's own timeouts) and the answer.
// Jobs that remain due are taken by the next run; a job whose worker was killed mid-way resumes
// when its lease expires.
import { identity, logFailure } from './netlify/shared.mjs';

export const config = { schedule: '*/5 * * * *' };

function settings() {
  const budgetMs = Number.parseInt(process.env.ACID_JOBS_BUDGET_MS ?? '20000', 10);
  const maxJobs = Number.parseInt(process.env.ACID_JOBS_MAX ?? '200', 10);
  return { budgetMs, maxJobs };
}

// Runs jobs once; resolves to the library's summary {ran, done, retried, failed, superseded,
// remaining_due}.
export async function runScheduledJobs(options = settings()) {
  const client = await identity();
  const summary = await client.runJobs(options);
  console.log(JSON.stringify({ event: 'jobs.run', ...options, ...summary }));
  return summary;
}

export default async function scheduledJobs() {
  try {
    const summary = await runScheduledJobs();
    return new Response(JSON.stringify(summary), { status: 200, headers: { 'content-type': 'application/json' } });
  } catch (e) {
    logFailure('scheduled-jobs', e);
    return new Response(JSON.stringify({ error: 'jobs not run', code: e.code ?? null }), {
      status: 500,
      headers: { 'content-type': 'application/json' },
    });
  }
}
