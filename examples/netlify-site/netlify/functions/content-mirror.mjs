// Netlify function: the content hook. Mirrors ONE stored document (a mood, painting, kidlisp,
// tape or piece) to its owner's PDS repo now, by its current state (created, updated, deleted or
// unchanged), with the library's exactly-once rule: identity.mirrorContent(collection, id).
//
// For aesthetic.computer functions that store a document and cannot load the addon themselves:
// right after their insertOne / updateOne they POST {"collection": "moods", "id": "<_id>"} here
// with `Authorization: Bearer <ACID_CONTENT_MIRROR_TOKEN>`. A function of this site (or one that
// bundles acidentity) calls mirrorNow() from lib/content-mirror.mjs in-process instead.
//
// Replies: 200 the report {collection, id, action, repo?, rkey?, uri?, cid?, reason?};
// 202 {action: "pending", code} when the PDS (or the store) failed this time: the document stays
// pending and the batch (`acidentity sync records --fix`) mirrors it; 400 {message} for a body
// that is not {collection, id} or a collection the library does not mirror; 404 {message} for
// an id the store does not hold (or an owner with no stored PDS password); 401 / 403 for a missing / wrong token, 503 when no token is
// configured (fail closed).
import { createHash, timingSafeEqual } from 'node:crypto';
import { flushLogs, header, identity, json, logFailure, logLine, toEvent, toResponse } from '../../lib/shared.mjs';

const TOKEN_VARIABLE = 'ACID_CONTENT_MIRROR_TOKEN';

// Constant-time comparison of the bearer token (digests, so the length does not leak either).
function tokenMatches(given, expected) {
  const digest = (s) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function parseBody(text) {
  let body;
  try {
    body = JSON.parse(text ?? '');
  } catch {
    return null;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const { collection, id } = body;
  if (typeof collection !== 'string' || typeof id !== 'string' || id === '') return null;
  return { collection, id };
}

async function answerMirror(event) {
  if (event.httpMethod !== 'POST') return json(405, { message: 'Method Not Allowed' });
  const expected = process.env[TOKEN_VARIABLE];
  if (!expected) {
    logFailure('content-mirror', { code: 'ACID_ECONFIG', message: `${TOKEN_VARIABLE} is not set: every request is refused` });
    return json(503, { message: 'not configured' });
  }
  const bearer = /^Bearer (.+)$/.exec(header(event.headers, 'authorization') ?? '')?.[1];
  if (bearer === undefined) return json(401, { message: 'unauthorized' });
  if (!tokenMatches(bearer, expected)) return json(403, { message: 'forbidden' });
  const request = parseBody(event.body);
  if (!request) return json(400, { message: 'expected {"collection": string, "id": string}' });

  try {
    const client = await identity();
    const report = await client.mirrorContent(request.collection, request.id);
    logLine({ event: 'content-mirror.done', collection: request.collection, id: request.id, action: report.action });
    return json(200, report);
  } catch (e) {
    // The library's messages name what is missing or wrong (never a secret).
    if (e.code === 'ACID_EINVAL') return json(400, { message: e.message });
    if (e.code === 'ACID_ENOTFOUND') return json(404, { message: e.message });
    logFailure('content-mirror', e);
    return json(e.code === 'ACID_ECONFIG' ? 503 : 202, { action: 'pending', code: e.code ?? null });
  }
}

export async function handler(event) {
  const answer = await answerMirror(event);
  await flushLogs();
  return answer;
}

export default async function contentMirror(request) {
  return toResponse(await handler(await toEvent(request)));
}
