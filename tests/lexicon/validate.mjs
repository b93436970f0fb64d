// Validates records against the aesthetic.computer lexicons (lexicons/*.json, copied from
// whistlegraph/aesthetic-computer at/lexicons/computer/aesthetic/) with Bluesky's
// @atproto/lexicon.
//
//   node validate.mjs RECORDS.jsonl     one {"uri","value"} (or {"nsid","value"}) per line
//
// Prints one line per record that fails and exits 1 when any does (2 on bad input). A record of
// a collection without a lexicon here is a failure too: nothing the suite writes goes unchecked.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lexicons, jsonToLex } from '@atproto/lexicon';

const here = dirname(fileURLToPath(import.meta.url));
const lexDir = join(here, 'lexicons');
const lexicons = new Lexicons();
for (const name of readdirSync(lexDir).filter((n) => n.endsWith('.json'))) {
  lexicons.add(JSON.parse(readFileSync(join(lexDir, name), 'utf8')));
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs RECORDS.jsonl');
  process.exit(2);
}
let checked = 0;
let failed = 0;
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const entry = JSON.parse(line);
  const nsid = entry.nsid ?? entry.uri?.split('/')[3];
  const value = entry.value;
  checked += 1;
  try {
    if (!nsid || !value || value.$type !== nsid) throw new Error(`$type ${value?.$type} is not ${nsid}`);
    if (!lexicons.getDef(nsid)) throw new Error(`no lexicon for ${nsid}`);
    lexicons.assertValidRecord(nsid, jsonToLex(value));
  } catch (e) {
    failed += 1;
    console.log(`INVALID ${entry.uri ?? nsid}: ${e.message} :: ${JSON.stringify(value)}`);
  }
}
console.log(`lexicon check: ${checked} records, ${failed} invalid`);
process.exit(failed > 0 ? 1 : 0);
