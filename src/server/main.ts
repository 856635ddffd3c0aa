/**
 * Entry point: `node --import tsx src/server/main.ts`. Logs `{event:"server/listening", url}`
 * (test helpers parse it), creates a first user on an empty database and prints its sign-in
 * link (first-user.ts), and shuts down gracefully on SIGTERM/SIGINT (in-flight requests finish).
 */
import { buildServer } from './app.ts';
import { derivePublicUrl, loadConfig } from './config.ts';
import { ensureFirstUser, FIRST_USER_NAME } from './first-user.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = buildServer(config);
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = addr && typeof addr === 'object' ? addr.port : config.port;
  const url = config.publicUrl ?? derivePublicUrl(config.host, port);
  app.log.info({ event: 'server/listening', url, host: config.host, port, dataDir: config.dataDir });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ event: 'server/stopping', signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ event: 'server/stop-failed', err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Never fatal: the node listens and serves whether or not it created the first user (another
  // node may have; a database error here is the same one requests would meet, and answer 503).
  try {
    const token = await ensureFirstUser(app.outbox.repo, app.outbox.ctx.locker, Date.now());
    // Logged either way: a node that found a user says so (tests wait for this line).
    app.log.info({ event: 'user/bootstrap', name: FIRST_USER_NAME, created: token !== null });
    if (token !== null) {
      // Plain stdout on purpose: this is for the human who just ran `npm start`.
      process.stdout.write(`\nFirst user "${FIRST_USER_NAME}" created. Open this link: ${url}/#token=${token}\n\n`);
    }
  } catch (err) {
    app.log.error({ event: 'user/bootstrap-failed', err }, 'could not create the first user; create one with `npm run user -- add <name>`');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`outbox server failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
