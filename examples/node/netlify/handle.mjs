// Netlify function: a person sets their AC handle (POST {"handle": "@jeffrey"} with their Auth0
// access token as `Authorization: Bearer ...`), as the deployed system/netlify/functions/handle.mjs.
//
// Who is asking comes from Auth0's /userinfo (ACID_AUTH0_BASE_URL, default
// https://aesthetic.us.auth0.com; ACID_SOTCE_AUTH0_BASE_URL for ?tenant=sotce), and their email
// must be verified, like before. The library applies the AC handle rules and case-insensitive
// uniqueness atomically. Answers: 200 {handle, code, pds}; 400 invalid handle or body; 401 no or
// bad token, or unverified email; 404 no user record yet; 409 taken (the deployed function
// answered 500 "taken"); 503 when the store or Auth0 failed.
//
// The PDS handle: accounts created after this call get the new handle (handle rules, with the
// user code as the fallback). Moving the handle of an existing PDS account needs the library's
// handle-changed operation, which the C ABI does not offer yet; this function reports the
// account's current PDS handle in `pds`.
import { identity, json, logFailure, toEvent, toResponse } from './shared.mjs';

const AUTH0 = {
  aesthetic: () => process.env.ACID_AUTH0_BASE_URL || 'https://aesthetic.us.auth0.com',
  sotce: () => process.env.ACID_SOTCE_AUTH0_BASE_URL || 'https://sotce.us.auth0.com',
};

function header(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

// The Auth0 profile for an access token: {sub, email_verified, ...}, or null when Auth0 refuses it.
async function userinfo(tenant, authorization) {
  const res = await fetch(`${AUTH0[tenant]()}/userinfo`, {
    headers: { authorization },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 401 || res.status === 403) return null;
  if (!res.ok) throw Object.assign(new Error(`Auth0 /userinfo answered HTTP ${res.status}`), { code: 'AUTH0_UNAVAILABLE' });
  return res.json();
}

export async function handler(event) {
  if (event.httpMethod !== 'POST') return json(405, { error: 'method not allowed' });
  const tenant = event.queryStringParameters?.tenant ?? 'aesthetic';
  if (!Object.hasOwn(AUTH0, tenant)) return json(400, { error: "tenant must be 'aesthetic' or 'sotce'" });
  const authorization = header(event.headers, 'authorization');
  if (!authorization) return json(401, { error: 'unauthorized' });

  let profile;
  try {
    profile = await userinfo(tenant, authorization);
  } catch (e) {
    logFailure('handle.userinfo', e);
    return json(503, { error: 'authorization unavailable' });
  }
  if (!profile || typeof profile.sub !== 'string') return json(401, { error: 'unauthorized' });
  if (profile.email_verified !== true) return json(401, { error: 'unverified' });

  let handle;
  try {
    handle = JSON.parse(event.body ?? '').handle;
  } catch {
    return json(400, { error: 'the body must be JSON: {"handle": "..."}' });
  }
  if (typeof handle !== 'string') return json(400, { error: 'the body must be JSON: {"handle": "..."}' });

  const sub = tenant === 'sotce' ? `sotce-${profile.sub}` : profile.sub;
  try {
    const client = await identity();
    await client.handleChanged(sub, handle);
    const user = await client.getUser(sub);
    return json(200, { handle: user.handle, code: user.code, pds: { state: user.state, handle: user.pds_handle } });
  } catch (e) {
    switch (e.code) {
      case 'ACID_EINVAL':
        return json(400, { error: 'invalid', message: e.message });
      case 'ACID_ECONFLICT':
        return json(409, { error: 'taken' });
      case 'ACID_ENOTFOUND':
        return json(404, { error: 'no user record yet' });
      default:
        logFailure('handle', e);
        return json(503, { error: 'not saved', code: e.code ?? null });
    }
  }
}

export default async function handleFunction(request) {
  return toResponse(await handler(await toEvent(request)));
}
