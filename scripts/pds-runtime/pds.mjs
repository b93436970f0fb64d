// The reference ATProto PDS (@atproto/pds) on 127.0.0.1 only.
//
// Same start sequence as upstream's service entry (readEnv -> envToCfg/envToSecrets ->
// PDS.create -> start), except that the HTTP server is bound to loopback: upstream listens on
// every interface.
//
// Started by scripts/pds; all PDS_* configuration comes from the environment, plus
//   ACID_PDS_APP_DIR  installed runtime (holds node_modules with @atproto/pds)

import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const HOST = '127.0.0.1';

function die(msg) {
  process.stderr.write(`pds launcher: ${msg}\n`);
  process.exit(1);
}

const appDir = process.env.ACID_PDS_APP_DIR;
if (!appDir) die('missing environment variable ACID_PDS_APP_DIR');

async function main() {
  const appRequire = createRequire(path.join(appDir, 'package.json'));
  const entry = appRequire.resolve('@atproto/pds');
  const { PDS, readEnv, envToCfg, envToSecrets } = await import(pathToFileURL(entry).href);

  const env = readEnv();
  const cfg = envToCfg(env);
  const secrets = envToSecrets(env);
  const pds = await PDS.create(cfg, secrets);

  const listen = pds.app.listen.bind(pds.app);
  pds.app.listen = (p, ...rest) => listen(p, HOST, ...rest);
  const server = await pds.start();
  const addr = server.address();
  if (!addr || typeof addr !== 'object' || addr.address !== HOST || addr.port !== cfg.service.port) {
    die(`listening on an unexpected address ${JSON.stringify(addr)}`);
  }
  process.stdout.write(
    `${new Date().toISOString()} pds ${cfg.service.version ?? ''} listening on http://${HOST}:${addr.port} ` +
      `(public url ${cfg.service.publicUrl}, did ${cfg.service.did})\n`,
  );

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${new Date().toISOString()} pds stopping on ${signal}\n`);
    pds
      .destroy()
      .then(() => process.exit(0))
      .catch((err) => {
        process.stderr.write(`pds launcher: error while stopping: ${err && err.stack ? err.stack : err}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => die(err && err.stack ? err.stack : String(err)));
