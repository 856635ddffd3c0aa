/**
 * A tiny upstream HTTP server that records what it received, and a one-shot HTTP client
 * (a fresh connection per request, so each request meets the proxy's per-connection faults).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  /** Body bytes the upstream actually read before the request ended or was cut. */
  bytes: number;
  complete: boolean;
}

export interface Upstream {
  url: string;
  received: Received[];
  /** Resolves when the n-th request (1-based) has ended or been cut. */
  settled(n: number): Promise<Received>;
  close(): Promise<void>;
}

/** Answers every request with `{bytes}` (the body length it read) once the body is complete. */
export async function startUpstream(): Promise<Upstream> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const rec: Received = { method: req.method ?? '', url: req.url ?? '', bytes: 0, complete: false };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      received.push(rec);
      for (const w of waiters.splice(0)) w();
    };
    req.on('data', (b: Buffer) => (rec.bytes += b.length));
    req.on('end', () => {
      rec.complete = true;
      finish();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ bytes: rec.bytes }));
    });
    req.on('error', finish);
    req.on('close', finish);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    settled: async (n) => {
      while (received.length < n) await new Promise<void>((r) => waiters.push(r));
      return received[n - 1]!;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Answer {
  status: number;
  body: string;
  elapsedMs: number;
}

export class RequestFailed extends Error {
  constructor(
    readonly code: string,
    readonly elapsedMs: number,
  ) {
    super(`request failed: ${code}`);
  }
}

/** One request on its own connection; rejects with RequestFailed(code) on any socket error. */
export function send(url: string, opts: { method?: string; body?: Buffer; timeoutMs?: number } = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', agent: false });
    const fail = (code: string) => reject(new RequestFailed(code, performance.now() - started));
    if (opts.timeoutMs) {
      req.setTimeout(opts.timeoutMs, () => {
        fail('TIMEOUT');
        req.destroy();
      });
    }
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), elapsedMs: performance.now() - started }),
      );
    });
    req.end(opts.body);
  });
}

/** Resolves with the failure, or rejects if the request unexpectedly succeeded. */
export async function sendExpectingFailure(url: string, opts: Parameters<typeof send>[1] = {}): Promise<RequestFailed> {
  try {
    const answer = await send(url, opts);
    throw new Error(`expected a failure, got HTTP ${answer.status}`);
  } catch (err) {
    if (err instanceof RequestFailed) return err;
    throw err;
  }
}
