// Netlify function: the handle hook, reduced to the one call the library adds. A person sets
// their AC handle (POST {"handle": "@jeffrey"} with their Auth0 access token as
// `Authorization: Bearer ...`); the library records it in @handles (AC rules, case-insensitive
// uniqueness, createdAt/updatedAt kept) and schedules the job that moves their PDS handle
// (`runJobs`: scheduled-jobs.mjs beside this file runs it).
//
// This is NOT a replacement for aesthetic.computer's system/netlify/functions/handle.mjs: that
// endpoint stays aesthetic.computer's own (GET, the profanity filter and quarantine, the sotce
// tenant and sister accounts, admin actions, Redis `@handles`/`userIDs` and `handle:update`).
// docs/migrating.md ("Handle hook") says where `identity.handleChanged` goes in it. So that a
// client of the deployed endpoint is never misread here, this handler refuses what it does not
// handle instead of guessing: any `action` (admin strip / mute / unmute) and any `tenant` in the
// body (aesthetic only). Replies have the deployed shape {message}, with the deployed statuses
// (including 500 {"message":"taken"}, which the deployed client expects).
import { flushLogs, header, identity, json, logFailure, toEvent, toResponse } from '../../lib/shared.mjs';

const AUTH0_BASE_URL = () => process.env.ACID_AUTH0_BASE_URL || 'https://aesthetic.us.auth0.com';

// The Auth0 profile for an access token: {sub, email_verified, ...}, or null when Auth0 refuses it.
async function userinfo(authorization) {
  const res = await fetch(`${AUTH0_BASE_URL()}/userinfo`, {
    headers: { authorization },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 401 || res.status === 403) return null;
  if (!res.ok) throw Object.assign(new Error(`Auth0 /userinfo answered HTTP ${res.status}`), { code: 'AUTH0_UNAVAILABLE' });
  return res.json();
}

// The request body this hook handles: exactly {"handle": string}. Anything the deployed endpoint
// gives another meaning to is refused with the reason, never read as a plain handle change.
function parseBody(text) {
  let body;
  try {
    body = JSON.parse(text ?? '');
  } catch {
    return { refusal: 'error' };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { refusal: 'error' };
  if (Object.hasOwn(body, 'action')) {
    return { refusal: 'unsupported: admin actions (strip, mute) stay in the deployed handle function' };
  }
  if (Object.hasOwn(body, 'tenant')) {
    return { refusal: 'unsupported: this hook serves the aesthetic tenant only (no tenant in the body)' };
  }
  if (typeof body.handle !== 'string') return { refusal: 'error' };
  return { handle: body.handle };
}

export async function handler(event) {
  const answer = await answerHandleChange(event);
  await flushLogs();
  return answer;
}

async function answerHandleChange(event) {
  if (event.httpMethod !== 'POST') return json(405, { message: 'Method Not Allowed' });
  const { handle, refusal } = parseBody(event.body);
  if (refusal) return json(400, { message: refusal });

  const authorization = header(event.headers, 'authorization');
  if (!authorization) return json(401, { message: 'unauthorized' });
  let profile;
  try {
    profile = await userinfo(authorization);
  } catch (e) {
    logFailure('handle.userinfo', e);
    return json(503, { message: 'error' });
  }
  if (!profile || typeof profile.sub !== 'string') return json(401, { message: 'unauthorized' });
  if (profile.email_verified !== true) return json(401, { message: 'unverified' });

  // The library call. It validates the AC handle (the deployed validateHandle's "invalid" and
  // "too long"), refuses a handle someone else holds in any case (ACID_ECONFLICT), and refuses a
  // sub it has no record of (ACID_ENOTFOUND) or a service account (ACID_EINVAL).
  try {
    const client = await identity();
    await client.handleChanged(profile.sub, handle);
    const user = await client.getUser(profile.sub);
    // The PDS handle follows through a job: `atproto` says where the account is now.
    return json(200, { handle: user.handle, atproto: { state: user.state, handle: user.pds_handle ?? null } });
  } catch (e) {
    switch (e.code) {
      case 'ACID_EINVAL':
        return json(400, { message: e.detail?.reason ?? 'invalid' });
      case 'ACID_ECONFLICT':
        return json(500, { message: 'taken' });
      case 'ACID_ENOTFOUND':
        return json(404, { message: 'not found' });
      default:
        logFailure('handle', e);
        return json(503, { message: 'error' });
    }
  }
}

export default async function handleFunction(request) {
  return toResponse(await handler(await toEvent(request)));
}
