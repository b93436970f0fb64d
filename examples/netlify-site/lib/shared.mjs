// What every function of the site shares: one Identity per warm function instance, configured
// from the environment (the deployed names: MONGODB_CONNECTION_STRING + MONGODB_NAME or
// ACID_STORE, PDS_URL, PDS_ADMIN_PASSWORD, AUTH0_LOG_TOKEN, SOTCE_AUTH0_LOG_TOKEN,
// ACID_CREDENTIALS_KEY, ...; docs/deploy-netlify.md), with the library's log lines and alerts
// written to the function log. A failed open is not cached: the next invocation tries again.
//
// No store configured on Lambda is ACID_ECONFIG naming MONGODB_CONNECTION_STRING and ACID_STORE
// (the library refuses the default sqlite:acidentity.db in the read-only /var/task): every
// function answers 503 and logs that error as `<function>.open.error`.
import { Identity } from 'acidentity';

// One JSON object per line on stdout / stderr: what Netlify's function log shows and what a log
// drain forwards.
export function logLine(fields) {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}

export function logError(fields) {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', ...fields }));
}

// The library's structured log lines ({event, sub?, ...}: job outcomes, config warnings, missing
// indexes), marked as the library's.
function onLog(line) {
  logLine({ source: 'acidentity', ...line });
}

// A permanent failure ({sub, kind, attempts, error}: a person whose PDS account could not be
// made after ACID_MAX_ATTEMPTS, a missing index, ...): on stderr at level "alert", the line to
// put a log-drain alert on. `acidentity user retry SUB` (or identity.retryUser) runs it again.
function onAlert(alert) {
  console.error(
    JSON.stringify({ time: new Date().toISOString(), level: 'alert', source: 'acidentity', event: 'acidentity.alert', ...alert }),
  );
}

let current = null;

export async function identity() {
  if (current === null) {
    const opening = new Identity({ onLog, onAlert });
    current = opening;
    try {
      await opening.ready;
    } catch (e) {
      if (current === opening) current = null;
      throw e;
    }
  }
  return current.ready;
}

// Log lines and alerts reach JS through thread-safe functions, a turn of the event loop after
// the library wrote them; a function awaits this before it returns, so that the lines of its own
// invocation are in its log before Lambda freezes the instance.
export async function flushLogs() {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

// Closes the shared client (tests, graceful shutdown of a long-lived server).
export async function closeIdentity() {
  const open = current;
  current = null;
  if (open) await open.close();
}

export function json(statusCode, value) {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  };
}

// An error the library raised, as one structured log line (the caller decides the HTTP answer).
export function logFailure(where, e) {
  logError({ event: `${where}.error`, code: e?.code ?? null, message: String(e?.message ?? e), detail: e?.detail ?? null });
}

// A header of a v1 event, whatever its case.
export function header(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

// A Netlify v1 response object -> a WHATWG Response (functions v2).
export function toResponse(answer) {
  return new Response(answer.body, { status: answer.statusCode, headers: answer.headers });
}

// A WHATWG Request (functions v2) -> the v1 event shape the handlers take.
export async function toEvent(request) {
  const url = new URL(request.url);
  return {
    httpMethod: request.method,
    path: url.pathname,
    headers: Object.fromEntries(request.headers),
    queryStringParameters: Object.fromEntries(url.searchParams),
    body: request.method === 'GET' || request.method === 'HEAD' ? null : await request.text(),
    isBase64Encoded: false,
  };
}
