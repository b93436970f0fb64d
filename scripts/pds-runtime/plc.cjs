'use strict';
// A real did:plc directory (@did-plc/server) on 127.0.0.1 whose state survives restarts.
//
// Upstream's only database besides Postgres is MockDatabase, which lives in memory. This
// launcher keeps it but appends every accepted operation to a JSONL op log (fsync'd before the
// request is answered) and replays the log through the same validation on start, so the DIDs
// a PDS created stay resolvable after `scripts/pds stop` + `start`.
//
// Started by scripts/pds; configuration comes from the environment:
//   ACID_PDS_APP_DIR  installed runtime (holds node_modules with @did-plc/server)
//   ACID_PLC_PORT     TCP port on 127.0.0.1
//   ACID_PLC_OPLOG    path of the JSONL op log

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const HOST = '127.0.0.1';

function die(msg) {
  process.stderr.write(`plc launcher: ${msg}\n`);
  process.exit(1);
}

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) die(`missing environment variable ${name}`);
  return v;
}

const appDir = requiredEnv('ACID_PDS_APP_DIR');
const port = Number.parseInt(requiredEnv('ACID_PLC_PORT'), 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) die(`bad ACID_PLC_PORT ${process.env.ACID_PLC_PORT}`);
const oplogPath = requiredEnv('ACID_PLC_OPLOG');

const appRequire = createRequire(path.join(appDir, 'package.json'));
const { PlcServer, MockDatabase } = appRequire('@did-plc/server');

class PersistentDatabase extends MockDatabase {
  constructor(fd) {
    super();
    this.fd = fd;
    // Operations are validated and logged one at a time, so the log order is the order in
    // which the directory accepted them.
    this.queue = Promise.resolve();
  }

  validateAndAddOp(did, proposed) {
    const run = this.queue.then(() => this.addAndLog(did, proposed));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async addAndLog(did, proposed) {
    await super.validateAndAddOp(did, proposed);
    const added = this.contents[did][this.contents[did].length - 1];
    const line = JSON.stringify({ did, operation: proposed, createdAt: added.createdAt.toISOString() });
    try {
      fs.writeSync(this.fd, line + '\n');
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      // The operation is in memory but not durable: a directory that silently forgets DIDs on
      // restart is worse than one that stops, so stop (the caller sees the request fail).
      process.stderr.write(`plc launcher: cannot append to op log ${oplogPath}: ${err.message}\n`);
      setImmediate(() => process.exit(1));
      throw err;
    }
  }

  // Re-applies logged operations through the normal validation, restoring their timestamps.
  async replay(text) {
    const lines = text.split('\n');
    let count = 0;
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i];
      if (raw.trim() === '') continue;
      let rec;
      try {
        rec = JSON.parse(raw);
      } catch (err) {
        throw new Error(`op log ${oplogPath} line ${i + 1} is not JSON: ${err.message}`);
      }
      if (typeof rec.did !== 'string' || typeof rec.operation !== 'object' || rec.operation === null) {
        throw new Error(`op log ${oplogPath} line ${i + 1} lacks did/operation`);
      }
      try {
        await super.validateAndAddOp(rec.did, rec.operation);
      } catch (err) {
        throw new Error(`op log ${oplogPath} line ${i + 1} (${rec.did}) rejected on replay: ${err.message}`);
      }
      const createdAt = new Date(rec.createdAt);
      if (!Number.isNaN(createdAt.getTime())) {
        const ops = this.contents[rec.did];
        ops[ops.length - 1].createdAt = createdAt;
      }
      count++;
    }
    return count;
  }
}

// A line is appended with one write followed by fdatasync, and the request is answered only
// after that. A last line without its newline is therefore a write cut short by a crash: if it
// is not even complete JSON, the request was never answered and the line is dropped; if it is,
// it only lacks the newline, which is added back.
function repairTail(text) {
  if (text.length === 0 || text.endsWith('\n')) return text;
  const cut = text.lastIndexOf('\n') + 1;
  const tail = text.slice(cut);
  try {
    JSON.parse(tail);
    fs.appendFileSync(oplogPath, '\n');
    return text + '\n';
  } catch {
    process.stderr.write(`plc launcher: dropping the torn last line of ${oplogPath}: ${tail.slice(0, 80)}\n`);
    fs.truncateSync(oplogPath, Buffer.byteLength(text.slice(0, cut), 'utf8'));
    return text.slice(0, cut);
  }
}

async function main() {
  let existing = '';
  if (fs.existsSync(oplogPath)) existing = repairTail(fs.readFileSync(oplogPath, 'utf8'));
  const fd = fs.openSync(oplogPath, 'a', 0o600);

  const db = new PersistentDatabase(fd);
  const replayed = await db.replay(existing);

  const server = PlcServer.create({ db, port, version: '0.0.1' });
  // Upstream listens on every interface; pin the host to loopback.
  const listen = server.app.listen.bind(server.app);
  server.app.listen = (p, ...rest) => listen(p, HOST, ...rest);
  const http = await server.start();
  const addr = http.address();
  if (!addr || typeof addr !== 'object' || addr.address !== HOST || addr.port !== port) {
    die(`listening on an unexpected address ${JSON.stringify(addr)}`);
  }
  process.stdout.write(
    `${new Date().toISOString()} plc listening on http://${HOST}:${port} (replayed ${replayed} ops from ${oplogPath})\n`,
  );

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${new Date().toISOString()} plc stopping on ${signal}\n`);
    server
      .destroy()
      .catch((err) => process.stderr.write(`plc launcher: error while stopping: ${err.message}\n`))
      .finally(() => {
        fs.closeSync(fd);
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => die(err && err.stack ? err.stack : String(err)));
