// Write-time mirroring for the deployed content functions: the ONE call to add after the
// document is stored. The library reads the document the function just inserted (MongoDB store,
// same `moods` / `paintings` collection, same _id), creates its record in the owner's PDS repo
// (guest paintings: the art account's) and writes `atproto.rkey/uri/cid` back onto it. It
// replaces createMoodOnAtproto / createPaintingOnAtproto and their follow-up updateOne.
//
// system/netlify/functions/mood.mjs, POST, after
//     const insertResult = await collection.insertOne({ user: user.sub, mood, when: new Date() });
// add
//     const atproto = await mirrorNow('moods', insertResult.insertedId.toString());
// (atproto.rkey is what postMoodToBluesky takes). The {nuke} branch flags ALL the person's
// moods with one updateMany; after it, one batch pass for that person deletes (nuke: true) or
// re-creates (nuke: false) their records:
//     await (await identity()).syncRecords({ collection: 'moods', user: user.sub, fix: true });
//
// A function that cannot load the addon itself calls this site's content-mirror function
// instead (netlify/functions/content-mirror.mjs: POST {collection, id}).
//
// system/netlify/functions/track-media.mjs, POST (paintings), after
//     const insertResult = await collection.insertOne(record);   // {code, slug, when, bucket, user?}
// add
//     const atproto = await mirrorNow('paintings', insertResult.insertedId.toString());
// and in PUT, after `$set: { nuked: nuke }`,
//     await mirrorNow('paintings', painting._id.toString());    // nuke deletes, un-nuke re-creates
//
// The request never fails because of the PDS: the document is stored, and what could not be
// mirrored now stays pending for the batch (`acidentity sync records --fix`, or
// identity.syncRecords({fix: true})), which repairs it exactly once.
import { identity, logFailure } from './shared.mjs';

// -> the report {action, repo?, rkey?, uri?, ...}, or {action: 'pending', code} when the PDS (or
// the store) failed this time.
export async function mirrorNow(collection, id) {
  try {
    const acid = await identity();
    return await acid.mirrorContent(collection, id);
  } catch (e) {
    logFailure('content.mirror', e);
    return { action: 'pending', code: e?.code ?? null };
  }
}
