import { it } from 'vitest';
import { openApp, startE2e, stopAllWorkers, writeRecording, logEvents, findVideo, waitForVideo } from '../support/e2e-fixtures.ts';
it("dbg", async () => {
const t0 = Date.now();
const log = (s: string) => console.log(`[${Date.now() - t0}] ${s}`);
const env = await startE2e();
env.context.on('console', (m) => { if (m.text().includes('"event"')) log('console ' + m.text().slice(0, 250)); });
try {
  const page = await openApp(env.context, env.server.url, env.token); log('opened');
  await env.context.setOffline(true); log('offline');
  const rec = await writeRecording(page, { count: 6, size: 100_000 }); log('written');
  await new Promise((r) => setTimeout(r, 1000));
  await page.close(); log('closed');
  log('workers before stop ' + env.context.serviceWorkers().length);

  for (let i = 0; i < 50 && env.context.serviceWorkers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  log('workers after stop ' + env.context.serviceWorkers().length);
  await Promise.race([env.context.setOffline(false), new Promise((r) => setTimeout(r, 10000))]); log('online');
  const v = await waitForVideo(env.server, env.token, rec.recordingId, undefined, 15000).catch((e) => String(e)); log('video ' + JSON.stringify(v).slice(0, 300));
} finally { await env.close(); }
}, 90000);
