/**
 * Drain after reconnect: N chunks queued in the outbox while offline, then the real
 * UploadPipeline (src/sw/pipeline) drains them through the fault proxy with a bandwidth cap and
 * added latency. Runs in Node with fake-indexeddb and the real fetch transport: the measure is
 * the pipeline's scheduling (is it bandwidth-bound or latency-bound?), not IndexedDB speed.
 * drain_ratio = measured time / ideal (queued bytes / cap); 1.0 is perfect.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
// idb's wrap() checks instanceof IDBRequest etc., so the globals must exist in Node.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { silentLogger } from '../src/shared/log.ts';
import { openOutbox } from '../src/shared/outbox/store.ts';
import { createHttpTransport } from '../src/sw/pipeline/http-transport.ts';
import { UploadPipeline } from '../src/sw/pipeline/pipeline.ts';
import { systemClock, type Connectivity } from '../src/sw/pipeline/ports.ts';
import { startFaultProxy } from '../tests/support/fault-proxy.ts';
import { CHUNK_BYTES } from './lib/chunks.ts';
import { startOurServer } from './lib/our-server.ts';
import { round } from './lib/stats.ts';

export interface DrainResult {
  chunks: number;
  bytes: number;
  capBytesPerSec: number;
  latencyMs: number;
  seconds: number;
  idealSeconds: number;
  ratio: number;
}

class Switch implements Connectivity {
  private listeners = new Set<(online: boolean) => void>();
  constructor(private online: boolean) {}
  isOnline() {
    return this.online;
  }
  onChange(l: (online: boolean) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(online: boolean) {
    this.online = online;
    for (const l of this.listeners) l(online);
  }
}

export async function benchDrain(opts: { workDir: string; chunks: number; capBytesPerSec: number; latencyMs: number }): Promise<DrainResult> {
  const server = await startOurServer(join(opts.workDir, 'ours-drain'));
  // One capped link for all connections (a slow uplink), not a cap per connection: with two
  // uploads in flight a per-connection cap would double the bandwidth the ideal assumes.
  const proxy = await startFaultProxy({ target: server.origin, faults: { linkBps: opts.capBytesPerSec, latencyMs: opts.latencyMs } });
  const outbox = await openOutbox({ indexedDB: new IDBFactory() });
  try {
    await outbox.setToken(server.token);
    const connectivity = new Switch(false);
    const pipeline = new UploadPipeline({
      outbox,
      transport: createHttpTransport({ baseUrl: proxy.url, getToken: () => outbox.getToken(), timeoutMs: 120_000 }),
      clock: systemClock,
      connectivity,
      logger: silentLogger,
    });
    // Recorded while offline: everything waits in the outbox.
    const id = randomUUID();
    await outbox.createRecording({ id, mimeType: 'video/webm' });
    const data = Array.from({ length: 4 }, () => randomBytes(CHUNK_BYTES));
    for (let i = 0; i < opts.chunks; i++) {
      const b = data[i % data.length]!;
      await outbox.addChunk(id, i, b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    }
    await outbox.stopRecording(id, opts.chunks);

    const started = performance.now();
    connectivity.set(true);
    let outcome = await pipeline.drain('online');
    while (!outcome.done) outcome = await pipeline.drain('again');
    const seconds = (performance.now() - started) / 1000;
    const rec = await outbox.getRecording(id);
    if (rec?.state !== 'complete') throw new Error(`drain: recording ended ${rec?.state}, not complete`);
    const bytes = opts.chunks * CHUNK_BYTES;
    const idealSeconds = bytes / opts.capBytesPerSec;
    return {
      chunks: opts.chunks,
      bytes,
      capBytesPerSec: opts.capBytesPerSec,
      latencyMs: opts.latencyMs,
      seconds: round(seconds, 2),
      idealSeconds: round(idealSeconds, 2),
      ratio: round(seconds / idealSeconds, 2),
    };
  } finally {
    outbox.close();
    await proxy.close();
    await server.stop();
  }
}
