/**
 * The raw baseline: plain node:http that streams each request body to its own file and fsyncs
 * it before answering 201. No framework, no hashing, no database — the practical ceiling for
 * "durably store a chunk" on this machine. Run as a child process by bench/lib/targets.ts.
 */
import { createServer } from 'node:http';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

const dir = process.env.BENCH_DATA_DIR;
if (!dir) throw new Error('BENCH_DATA_DIR is required');
let seq = 0;

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || !req.url?.startsWith('/raw/')) {
    res.writeHead(404).end();
    return;
  }
  // A server-chosen name: the URL is not trusted as a path.
  const file = await open(join(dir, `chunk-${process.pid}-${seq++}`), 'w');
  try {
    for await (const part of req) await file.write(part as Buffer);
    await file.sync();
  } finally {
    await file.close();
  }
  res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
