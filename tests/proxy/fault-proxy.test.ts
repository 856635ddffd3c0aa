import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { send, sendExpectingFailure, startUpstream, type Upstream } from './helpers.ts';

const KB = 1024;

let upstream: Upstream;
let proxy: FaultProxy;

beforeEach(async () => {
  upstream = await startUpstream();
  proxy = await startFaultProxy({ target: upstream.url, seed: 42 });
});

afterEach(async () => {
  await proxy.close();
  await upstream.close();
});

describe('fault proxy', () => {
  it('passes requests and bodies through untouched and counts the bytes', async () => {
    const answer = await send(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(300 * KB, 7) });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ bytes: 300 * KB });
    const stats = proxy.stats();
    expect(stats.connections).toBe(1);
    expect(stats.resets).toBe(0);
    expect(stats.bytesUp).toBeGreaterThan(300 * KB);
    expect(stats.bytesDown).toBeGreaterThan(0);
  });

  it('refuse: new connections fail at once and nothing reaches the server', async () => {
    proxy.set({ refuse: true });
    const failure = await sendExpectingFailure(`${proxy.url}/x`);
    expect(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']).toContain(failure.code);
    expect(upstream.received).toHaveLength(0);
    proxy.set({ refuse: false });
    expect((await send(`${proxy.url}/x`)).status).toBe(200);
  });

  it('refuse: switching it on also cuts connections already open', async () => {
    proxy.set({ blackhole: false, latencyMs: 500 });
    const pending = sendExpectingFailure(`${proxy.url}/slow`, { method: 'POST', body: Buffer.alloc(10 * KB) });
    await new Promise((r) => setTimeout(r, 100));
    proxy.set({ refuse: true });
    expect((await pending).code).toBe('ECONNRESET');
  });

  it('blackhole: accepts and reads but never answers, so the client times out', async () => {
    proxy.set({ blackhole: true });
    const failure = await sendExpectingFailure(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(50 * KB), timeoutMs: 400 });
    expect(failure.code).toBe('TIMEOUT');
    expect(upstream.received).toHaveLength(0);
    expect(proxy.stats().connections).toBe(1);
  });

  it('reset-after N: the server gets at most N body bytes and the client sees a reset', async () => {
    const limit = 100 * KB;
    proxy.set({ resetAfterBytes: limit });
    const failure = await sendExpectingFailure(`${proxy.url}/chunk`, { method: 'POST', body: Buffer.alloc(625 * KB, 1) });
    expect(['ECONNRESET', 'EPIPE']).toContain(failure.code);
    const got = await upstream.settled(1);
    expect(got.complete).toBe(false);
    expect(got.bytes).toBeLessThanOrEqual(limit);
    expect(proxy.stats().resets).toBe(1);
  });

  it('reset-after N lets requests whose body is shorter than N through', async () => {
    proxy.set({ resetAfterBytes: 100 * KB });
    const answer = await send(`${proxy.url}/small`, { method: 'POST', body: Buffer.alloc(10 * KB) });
    expect(JSON.parse(answer.body)).toEqual({ bytes: 10 * KB });
  });

  it('latency: delays each direction (behaviour, loosely bounded)', async () => {
    proxy.set({ latencyMs: 200 });
    const answer = await send(`${proxy.url}/x`);
    expect(answer.status).toBe(200);
    // One request up and one answer down: two one-way delays.
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(0.8 * 400);
  });

  it('bandwidth: a 200 KB body at 100 KB/s takes at least 1.5 s and arrives whole', async () => {
    proxy.set({ bandwidthBps: 100 * KB });
    const answer = await send(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(200 * KB, 3) });
    expect(JSON.parse(answer.body)).toEqual({ bytes: 200 * KB });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(1500);
  });

  it('link cap: connections share it (two 100 KB bodies at 100 KB/s take ≥ 1.6 s), unlike the per-connection cap', async () => {
    const both = async () => {
      const t0 = performance.now();
      const answers = await Promise.all([1, 2].map(() => send(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(100 * KB, 5) })));
      for (const a of answers) expect(JSON.parse(a.body)).toEqual({ bytes: 100 * KB });
      return performance.now() - t0;
    };
    proxy.set({ linkBps: 100 * KB });
    expect(await both()).toBeGreaterThanOrEqual(1600); // 200 KB through one 100 KB/s link
    proxy.set({ linkBps: null, bandwidthBps: 100 * KB });
    const perConnection = await both(); // each connection has its own 100 KB/s
    expect(perConnection).toBeGreaterThanOrEqual(800);
    proxy.set({ bandwidthBps: null });
  });

  it('fail-rate 1.0 fails every exchange; 0 fails none', async () => {
    proxy.set({ failRate: 1 });
    for (let i = 0; i < 5; i++) {
      const failure = await sendExpectingFailure(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(20 * KB) });
      expect(['ECONNRESET', 'EPIPE']).toContain(failure.code);
    }
    expect(proxy.stats().resets).toBe(5);
    proxy.set({ failRate: 0 });
    for (let i = 0; i < 5; i++) expect((await send(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(20 * KB) })).status).toBe(200);
    expect(proxy.stats().resets).toBe(5);
  });

  it('fail-rate is reproducible from the seed and combines with latency', async () => {
    const pattern = async (p: FaultProxy) => {
      const out: boolean[] = [];
      for (let i = 0; i < 16; i++) {
        out.push(await send(`${p.url}/x`, { method: 'POST', body: Buffer.alloc(4 * KB) }).then(() => true, () => false));
      }
      return out;
    };
    proxy.set({ failRate: 0.5, latencyMs: 20 });
    const first = await pattern(proxy);
    const twin = await startFaultProxy({ target: upstream.url, seed: 42, faults: { failRate: 0.5, latencyMs: 20 } });
    try {
      expect(await pattern(twin)).toEqual(first);
    } finally {
      await twin.close();
    }
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('NO_FAULTS clears every fault', async () => {
    proxy.set({ failRate: 1, latencyMs: 50, bandwidthBps: 10 * KB, resetAfterBytes: 0 });
    proxy.set(NO_FAULTS);
    expect((await send(`${proxy.url}/x`, { method: 'POST', body: Buffer.alloc(64 * KB) })).status).toBe(200);
  });

  it('close() ends connections it is holding (a black-holed client is not left hanging)', async () => {
    proxy.set({ blackhole: true });
    const pending = sendExpectingFailure(`${proxy.url}/x`, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    await proxy.close();
    const failure = await pending;
    expect(failure.code).not.toBe('TIMEOUT');
  });
});
