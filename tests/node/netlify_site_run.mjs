// Runs one function of the bundled Netlify site inside its unpacked zip (the working folder),
// as tests/node/netlify_bundle.sh starts it: `node netlify_site_run.mjs FUNCTION MODE BATCH`
// with only the function's settings in the environment. Checks the answer, what the store holds,
// the function log, and that the addon and its libraries were loaded from this folder only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const [name, mode, batchPath] = process.argv.slice(2);
const bare = process.cwd();
const batchText = fs.readFileSync(batchPath, 'utf8');
const batch = JSON.parse(batchText);
const signups = batch.filter((e) => e.data.type === 'ss').map((e) => e.data.user_id);
const verified = batch.filter((e) => e.data.type === 'sv').map((e) => e.data.user_id);

// The function's file in the unpacked zip (not a file of a dependency).
function functionFile() {
  const hits = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(full);
      else if (entry.isFile() && entry.name === `${name}.mjs`) hits.push(full);
    }
  };
  walk(bare);
  assert.equal(hits.length, 1, `${name}.mjs in the bundle: ${hits.join(', ')}`);
  return hits[0];
}

// The bundle's own copy of the package (what the function imports), for reading the store back.
const { Identity } = createRequire(path.join(bare, 'package.json'))(path.join(bare, 'node_modules', 'acidentity'));

// Lines the function writes to its log (stdout / stderr), parsed, still printed.
const logged = [];
for (const stream of ['log', 'error']) {
  const original = console[stream].bind(console);
  console[stream] = (...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('{')) logged.push(JSON.parse(args[0]));
    original(...args);
  };
}

const post = (body, headers = {}) => ({ httpMethod: 'POST', headers, queryStringParameters: {}, body, isBase64Encoded: false });
const webhook = () => post(batchText, { authorization: `Bearer ${process.env.AUTH0_LOG_TOKEN}` });

// Every watched library mapped into this process comes from the function's folder.
function checkMaps() {
  const watched = /\/(acidentity\.node|lib(acidentity|mongoc|bson|curl|ssl|crypto|sqlite3|nghttp2|icu\w*)[-\w.]*\.so[.\d]*)$/;
  const mapped = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.split(/\s+/)[5];
    if (file && watched.test(file)) mapped.add(file);
  }
  for (const file of mapped) assert.ok(file.startsWith(bare + '/'), `${file} was loaded from outside the bundle`);
  assert.ok([...mapped].some((f) => f.endsWith('/acidentity.node')), 'acidentity.node was not mapped');
  return mapped.size;
}

async function withIdentity(use) {
  const id = await Identity.open();
  try {
    return await use(id);
  } finally {
    await id.close();
  }
}

const modes = {
  // The webhook: a signup batch is 200 and stored.
  async signups(fn) {
    const answer = await fn.handler(webhook());
    assert.equal(answer.statusCode, 200, answer.body);
    assert.ok(JSON.parse(answer.body).applied >= signups.length, answer.body);
    await withIdentity(async (id) => {
      for (const sub of signups) assert.match((await id.getUser(sub)).code, /^ac25[a-z]{5}$/, sub);
    });
    return `200 ${answer.body}; ${signups.length} users stored`;
  },

  // No store configured: ACID_ECONFIG naming both ways to configure one, logged and answered 503.
  async 'no-store'(fn) {
    const answer = await fn.handler(webhook());
    assert.equal(answer.statusCode, 503, answer.body);
    assert.equal(JSON.parse(answer.body).code, 'ACID_ECONFIG', answer.body);
    const line = logged.find((l) => l.event === 'auth0-events.open.error');
    assert.ok(line, `no open error in the log: ${JSON.stringify(logged)}`);
    assert.equal(line.code, 'ACID_ECONFIG');
    for (const variable of ['MONGODB_CONNECTION_STRING', 'ACID_STORE']) assert.ok(line.message.includes(variable), line.message);
    const error = await Identity.open().then(
      () => assert.fail('opened with no store configured'),
      (e) => e,
    );
    assert.equal(error.code, 'ACID_ECONFIG');
    assert.deepEqual(error.detail?.variables, ['ACID_STORE']);
    assert.ok(!fs.existsSync(path.join(bare, 'acidentity.db')), 'a store was created in the function folder');
    return `503, ${error.code}: ${error.message}`;
  },

  // The scheduled job runner: its schedule, and a permanent failure alerted in the function log.
  async 'alert-on-failure'(fn) {
    assert.deepEqual(fn.config, { schedule: '*/5 * * * *' });
    const response = await fn.default();
    assert.equal(response.status, 200);
    const summary = await response.json();
    assert.ok(summary.failed >= verified.length, JSON.stringify(summary));
    for (const sub of verified) {
      const alert = logged.find((l) => l.level === 'alert' && l.event === 'acidentity.alert' && l.sub === sub);
      assert.ok(alert, `no alert for ${sub} in ${JSON.stringify(logged)}`);
    }
    assert.ok(logged.some((l) => l.source === 'acidentity'), 'the library logged through onLog');
    assert.ok(logged.some((l) => l.event === 'jobs.run'), 'the run summary was logged');
    return `200 ${JSON.stringify(summary)}; ${verified.length} alert(s) logged`;
  },

  // The handle hook, with a local stand-in for Auth0's /userinfo (the only hosted service).
  async 'set-handle'(fn) {
    const sub = signups[0];
    const server = http.createServer((req, res) => {
      const ok = req.url === '/userinfo' && req.headers.authorization === 'Bearer person-token';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { sub, email_verified: true } : { error: 'invalid_token' }));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.ACID_AUTH0_BASE_URL = `http://127.0.0.1:${server.address().port}`;
    try {
      const body = JSON.stringify({ handle: '@bundled' });
      assert.equal((await fn.handler(post(body))).statusCode, 401);
      const answer = await fn.handler(post(body, { Authorization: 'Bearer person-token' }));
      assert.equal(answer.statusCode, 200, answer.body);
      assert.equal(JSON.parse(answer.body).handle, 'bundled');
      await withIdentity(async (id) => assert.equal((await id.getUser(sub)).handle, 'bundled'));
      return `200 ${answer.body}`;
    } finally {
      server.close();
    }
  },

  // The content hook: a stored mood of a person without a PDS account yet is skipped.
  async 'mirror-mood'(fn) {
    const id = 'bundle-mood-1';
    await withIdentity((acid) =>
      acid.importContent(JSON.stringify({ collection: 'moods', _id: id, user: signups[1], mood: 'shipped', when: '2025-10-14T10:00:00.000Z', deleted: false })),
    );
    const token = { authorization: `Bearer ${process.env.ACID_CONTENT_MIRROR_TOKEN}` };
    assert.equal((await fn.handler(post(JSON.stringify({ collection: 'moods', id }), { authorization: 'Bearer nope' }))).statusCode, 403);
    assert.equal((await fn.handler(post(JSON.stringify({ collection: 'moods', id: 'absent' }), token))).statusCode, 404);
    const answer = await fn.handler(post(JSON.stringify({ collection: 'moods', id }), token));
    assert.equal(answer.statusCode, 200, answer.body);
    assert.equal(JSON.parse(answer.body).action, 'skipped', answer.body);
    return `200 ${answer.body}`;
  },
};

const run = modes[mode];
assert.ok(run, `unknown mode ${mode}`);
const fn = await import(functionFile());
const outcome = await run(fn);
const watched = checkMaps();
process.stdout.write(`${name} (${mode}): ${outcome}; ${watched} watched files mapped, all from the bundle\n`);
process.exit(0); // a warm instance keeps its client open; this run ends here
