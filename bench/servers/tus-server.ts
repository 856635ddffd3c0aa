/**
 * The standard resumable-upload server for Node, as configured out of the box: @tus/server 2
 * with @tus/file-store (which does not fsync). One tus upload per recording, a PATCH per chunk.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const dir = process.env.BENCH_DATA_DIR;
if (!dir) throw new Error('BENCH_DATA_DIR is required');

const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
const server = createServer((req, res) => void tus.handle(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
