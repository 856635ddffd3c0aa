/**
 * The scale-out harness on its own, whatever the server's storage: nginx round-robins over three
 * node processes and passes over a killed one; a restarted node takes requests again; a child
 * process configured like a node reaches the test process's s3rver. (multi-node.test.ts is the
 * proof on PostgreSQL + S3; this file keeps the harness honest.)
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import { launch, stopChild, waitForLine } from '../support/launcher.ts';
import { useS3 } from '../support/s3.ts';
import { sharedStorageEnv, startScaleOut, type ScaleOut } from '../support/scale-out.ts';

const { s3 } = useS3();

/** GET /me through the proxy with `token`: 200 only from the node whose SQLite knows it. */
async function me(url: string, token: string): Promise<number> {
  const res = await fetch(url + ROUTES.me, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('nginx over three disk-backed nodes', () => {
  let lb: ScaleOut;
  let tokens: string[];
  beforeAll(async () => {
    lb = await startScaleOut({ nodes: 3 });
    tokens = await lb.createUser('harness');
  });
  afterAll(() => lb?.stop());

  it('sends requests round robin to all three nodes', async () => {
    // Each node has its own database, so a token answers 200 only on the node that issued it:
    // 200s and 401s for every token prove that every node answered through the proxy.
    for (const [i, token] of tokens.entries()) {
      const statuses: number[] = [];
      for (let k = 0; k < 6; k++) statuses.push(await me(lb.url, token));
      expect(statuses.filter((s) => s === 200).length, `node ${i}`).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 401).length, `node ${i}`).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 401)).toBe(true);
    }
    const upstreams = new Set(lb.proxy.upstreamLog().map((l) => l.upstream));
    expect(upstreams).toEqual(new Set(lb.nodes.map((n) => new URL(n.url).host)));
  });

  it('passes over a node killed -9 and uses it again once it is restarted', async () => {
    await lb.kill(1);
    const statuses: number[] = [];
    for (let k = 0; k < 6; k++) statuses.push(await me(lb.url, tokens[0]!));
    // No 502: connection refused is an `error` for proxy_next_upstream, so GETs go to a live node.
    expect(statuses.every((s) => s === 200 || s === 401)).toBe(true);
    // The killed node's own token cannot succeed while it is down.
    for (let k = 0; k < 3; k++) expect(await me(lb.url, tokens[1]!)).toBe(401);

    await lb.restart(1);
    // nginx retries a failed server after fail_timeout (10 s); wait for the condition, bounded.
    const deadline = Date.now() + 30_000;
    let back = false;
    while (!back && Date.now() < deadline) back = (await me(lb.url, tokens[1]!)) === 200;
    expect(back).toBe(true);
  }, 60_000);
});

describe('s3rver in the test process', () => {
  it('is reachable from a child process configured like a node', async () => {
    const probe = launch(['--import', 'tsx', 'tests/support/s3-probe.ts', 'probe/child'], {
      env: { ...process.env, ...sharedStorageEnv(undefined, s3()) },
    });
    try {
      await waitForLine(probe, (l) => (l === 'stored' ? true : undefined), { what: 's3 probe' });
    } finally {
      await stopChild(probe);
    }
    const got = await s3().client.send(new GetObjectCommand({ Bucket: s3().bucket, Key: 'probe/child' }));
    expect(await got.Body!.transformToString()).toBe('probe');
  });
});
