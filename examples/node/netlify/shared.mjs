// One Identity per warm function instance, configured from the environment (the deployed names:
// MONGODB_CONNECTION_STRING + MONGODB_NAME or ACID_STORE, PDS_URL, PDS_ADMIN_PASSWORD,
// AUTH0_LOG_TOKEN, SOTCE_AUTH0_LOG_TOKEN, ACID_CREDENTIALS_KEY, ...). A failed open is not cached:
// the next invocation tries again.
import { Identity } from 'acidentity';

let current = null;

export async function identity() {
  if (current === null) {
    const opening = new Identity();
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
  console.error(
    JSON.stringify({ event: `${where}.error`, code: e?.code ?? null, message: String(e?.message ?? e), detail: e?.detail ?? null }),
  );
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
