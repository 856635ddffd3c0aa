// The thread behind WorkerSha256 (worker-sha256.ts), which documents the protocol.
// Plain JavaScript on purpose: on Node 20 a worker thread does not inherit tsx's loader hooks
// (`--import tsx` in execArgv still fails with "Unknown file extension .ts"), and this file
// must load the same way under `npm start`, Vitest and the benchmarks.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** @type {Map<string, import('node:crypto').Hash | null>} null: broken (updated without a reset) */
const running = new Map();

parentPort.on('message', (msg) => {
  switch (msg.op) {
    case 'digest':
      parentPort.postMessage({ id: msg.id, hex: createHash('sha256').update(msg.bytes).digest('hex') });
      break;
    case 'reset':
      running.set(msg.key, createHash('sha256'));
      break;
    case 'update': {
      const hash = running.get(msg.key);
      if (hash) hash.update(msg.bytes);
      else running.set(msg.key, null);
      parentPort.postMessage({ id: msg.id, hex: null });
      break;
    }
    case 'peek':
      parentPort.postMessage({ id: msg.id, hex: running.get(msg.key)?.copy().digest('hex') ?? null });
      break;
    case 'drop':
      running.delete(msg.key);
      break;
  }
});

parentPort.postMessage({ ready: true });
