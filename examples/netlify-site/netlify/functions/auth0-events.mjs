// Netlify function: the Auth0 log-stream webhook, a drop-in replacement for the deployed
// system/netlify/functions/auth0-events.mjs. Same path (/.netlify/functions/auth0-events), same
// variables (AUTH0_LOG_TOKEN, AUTH0_M2M_CLIENT_ID/SECRET, MONGODB_CONNECTION_STRING + MONGODB_NAME
// or ACID_STORE; new: SOTCE_AUTH0_LOG_TOKEN). The PDS settings belong to scheduled-jobs.mjs, which
// makes the accounts (netlify.toml lists each function's variables; docs/deploy-netlify.md).
//
// What changed for Auth0: the answer is 200 only once every valid entry's facts are durable in
// the store; 401/403 for a missing/wrong token (and 503 when no token is configured: fail closed);
// 400 for a malformed body; 503 when the store fails, so Auth0 delivers the batch again.
// Redeliveries and any order of ss/sv converge. PDS accounts are created by runJobs
// (scheduled-jobs.mjs), not inside this request.
//
// The sotce tenant's stream points at the same function with ?tenant=sotce.
import { flushLogs, identity, json, logError, logFailure, toEvent, toResponse } from '../../lib/shared.mjs';

const TENANTS = new Set(['aesthetic', 'sotce']);

// Netlify functions v1 signature (event -> {statusCode, headers, body}).
export async function handler(event) {
  const answer = await answerDelivery(event);
  await flushLogs();
  return answer;
}

async function answerDelivery(event) {
  if (event.httpMethod !== 'POST') {
    const answer = json(405, { error: 'method not allowed' });
    answer.headers.allow = 'POST';
    return answer;
  }
  const tenant = event.queryStringParameters?.tenant ?? 'aesthetic';
  if (!TENANTS.has(tenant)) return json(400, { error: "tenant must be 'aesthetic' or 'sotce'" });
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? '');

  let client;
  try {
    client = await identity();
  } catch (e) {
    logFailure('auth0-events.open', e);
    return json(503, { error: 'store unavailable', code: e.code ?? null });
  }
  try {
    const answer = await client.handleAuth0Events({ headers: event.headers, body, tenant });
    if (answer.status !== 200) {
      logError({ event: 'auth0-events.refused', tenant, status: answer.status, body: answer.body });
    }
    return { statusCode: answer.status, headers: answer.headers, body: answer.body };
  } catch (e) {
    logFailure('auth0-events', e);
    return json(503, { error: 'not processed', code: e.code ?? null });
  }
}

// Netlify functions v2 (Request -> Response), served at the same path.
export default async function auth0Events(request) {
  return toResponse(await handler(await toEvent(request)));
}
