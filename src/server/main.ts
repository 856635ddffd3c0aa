/**
 * Entry point: `node --import tsx src/server/main.ts`. Logs `{event:"server/listening", url}`
 * (test helpers parse it), creates a first user on an empty database and prints its sign-in
 * link, and shuts down gracefully on SIGTERM/SIGINT (in-flight requests finish).
 */
import { buildServer } from './app.ts';
import { derivePublicUrl, loadConfig } from './config.ts';
import { addUser } from './users.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = buildServer(config);
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = addr && typeof addr === 'object' ? addr.port : config.port;
  const url = config.publicUrl ?? derivePublicUrl(config.host, port);
  app.log.info({ event: 'server/listening', url, host: config.host, port, dataDir: config.dataDir });

  if ((await app.outbox.repo.countUsers()) === 0) {
    const { token } = await addUser(app.outbox.repo, 'owner', Date.now());
    app.log.info({ event: 'user/bootstrap', name: 'owner' });
    // Plain stdout on purpose: this is for the human who just ran `npm start`.
    process.stdout.write(`\nFirst user "owner" created. Open this link: ${url}/#token=${token}\n\n`);
  }

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
}

main().catch((err: unknown) => {
  process.stderr.write(`outbox server failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
