/**
 * Runs in Chromium (bundled by bench/client-cost.ts). Writes synthetic 625 KiB chunks into the
 * real outbox (openOutbox/addChunk), hashes them (sha256Hex, WebCrypto) and hands each off to a
 * service worker with postMessage + MessageChannel, timing each step, while a PerformanceObserver
 * counts long tasks (> 50 ms) on the main thread.
 */
import { sha256Hex } from '../../src/shared/digest.ts';
import { openOutbox } from '../../src/shared/outbox/store.ts';

export interface ClientRunOptions {
  durationMs: number;
  intervalMs: number;
  chunkBytes: number;
}

export interface ClientRunResult {
  chunks: number;
  writeMs: number[];
  hashMs: number[];
  handoffMs: number[];
  longTasks: number;
  longTaskMs: number[];
}

function randomBuffer(size: number): ArrayBuffer {
  const out = new Uint8Array(size);
  // getRandomValues fills at most 65536 bytes per call.
  for (let o = 0; o < size; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(size, o + 65536)));
  return out.buffer;
}

async function run(opts: ClientRunOptions): Promise<ClientRunResult> {
  const longTaskMs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTaskMs.push(e.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });

  const reg = await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  const worker = reg.active!;
  const handoff = (recordingId: string, index: number) =>
    new Promise<void>((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      worker.postMessage({ type: 'outbox/chunk-added', recordingId, index }, [ch.port2]);
    });

  const outbox = await openOutbox({ name: `bench-${Date.now()}` });
  const id = crypto.randomUUID();
  await outbox.createRecording({ id, mimeType: 'video/webm' });
  const pool = Array.from({ length: 4 }, () => randomBuffer(opts.chunkBytes));

  const writeMs: number[] = [];
  const hashMs: number[] = [];
  const handoffMs: number[] = [];
  const end = performance.now() + opts.durationMs;
  let i = 0;
  while (performance.now() < end) {
    const tick = performance.now();
    // A fresh ArrayBuffer per chunk, as Blob.arrayBuffer() gives MediaRecorder's data.
    const data = pool[i % pool.length]!.slice(0);
    const t0 = performance.now();
    await outbox.addChunk(id, i, data);
    const t1 = performance.now();
    await sha256Hex(data);
    const t2 = performance.now();
    await handoff(id, i);
    const t3 = performance.now();
    writeMs.push(t1 - t0);
    hashMs.push(t2 - t1);
    handoffMs.push(t3 - t2);
    i++;
    const wait = tick + opts.intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  // Let the observer deliver the last entries.
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  outbox.close();
  return { chunks: i, writeMs, hashMs, handoffMs, longTasks: longTaskMs.length, longTaskMs };
}

(globalThis as unknown as { runClientBench: typeof run }).runClientBench = run;
