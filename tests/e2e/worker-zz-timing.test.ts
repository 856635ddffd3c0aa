import { it } from 'vitest';
import { openApp, startE2e } from '../support/e2e-fixtures.ts';
it('timing', async () => {
  const t0 = Date.now();
  const env = await startE2e();
  console.log('T startE2e', Date.now() - t0);
  const page = await env.context.newPage();
  await page.goto(env.server.url);
  console.log('T goto', Date.now() - t0);
  await page.close();
  await openApp(env.context, env.server.url, env.token);
  console.log('T openApp', Date.now() - t0);
  await env.close();
  console.log('T close', Date.now() - t0);
}, 60000);
