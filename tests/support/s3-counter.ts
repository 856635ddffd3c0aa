/**
 * A counting HTTP proxy in front of an S3 endpoint (s3rver in tests and the bench): every
 * request passes through unchanged — headers included, so SigV4 signatures over `host` still
 * verify — while it counts requests by S3 operation and the body bytes uploaded (PutObject and
 * UploadPart bodies: what the object store had to write). CompleteMultipartUpload bodies are
 * read for their part count, per object key.
 *
 * Why a proxy and not hooks in s3rver: s3rver's store methods see streams the Koa app consumes,
 * and a second 'data' listener on the same request would race it; at the HTTP layer the count is
 * exact and independent of the server behind it (it would count the same on AWS or MinIO).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type S3Op = 'PutObject' | 'UploadPart' | 'CreateMultipartUpload' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'GetObject' | 'HeadObject' | 'ListObjects' | 'DeleteObject' | 'DeleteObjects' | 'Other';

export interface S3Counts {
  requests: Record<S3Op, number>;
  /** Body bytes of PutObject and UploadPart requests: bytes written to the store. */
  bytesWritten: number;
  /** Response body bytes of GetObject: bytes read back from the store. */
  bytesRead: number;
  /** Every CompleteMultipartUpload: the object key and how many parts it listed. */
  completions: { key: string; parts: number }[];
}

export interface S3Counter {
  /** The proxy's endpoint: give it to clients instead of the real one. */
  endpoint: string;
  counts(): S3Counts;
  reset(): void;
  stop(): Promise<void>;
}

function zero(): S3Counts {
  const ops: S3Op[] = ['PutObject', 'UploadPart', 'CreateMultipartUpload', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'GetObject', 'HeadObject', 'ListObjects', 'DeleteObject', 'DeleteObjects', 'Other'];
  return { requests: Object.fromEntries(ops.map((o) => [o, 0])) as Record<S3Op, number>, bytesWritten: 0, bytesRead: 0, completions: [] };
}

/** Path-style URLs (`/bucket/key?…`), as our clients send them (forcePathStyle). */
export function classify(method: string, url: URL): S3Op {
  const q = url.searchParams;
  const isObject = url.pathname.split('/').filter(Boolean).length >= 2;
  if (method === 'PUT') return q.has('partNumber') && q.has('uploadId') ? 'UploadPart' : isObject ? 'PutObject' : 'Other';
  if (method === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : q.has('delete') ? 'DeleteObjects' : 'Other';
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : isObject ? 'DeleteObject' : 'Other';
  if (method === 'GET') return isObject ? 'GetObject' : 'ListObjects';
  if (method === 'HEAD') return isObject ? 'HeadObject' : 'Other';
  return 'Other';
}

export async function startS3Counter(upstream: string): Promise<S3Counter> {
  const target = new URL(upstream);
  let counts = zero();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const op = classify(req.method ?? 'GET', url);
    counts.requests[op]++;
    const body: Buffer[] = [];
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (op === 'GetObject') upRes.on('data', (d: Buffer) => (counts.bytesRead += d.length));
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.on('data', (d: Buffer) => {
      if (op === 'PutObject' || op === 'UploadPart') counts.bytesWritten += d.length;
      if (op === 'CompleteMultipartUpload') body.push(d);
    });
    req.on('end', () => {
      if (op === 'CompleteMultipartUpload') {
        const parts = (Buffer.concat(body).toString().match(/<PartNumber>/g) ?? []).length;
        counts.completions.push({ key: decodeURIComponent(url.pathname.split('/').slice(2).join('/')), parts });
      }
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => counts,
    reset: () => void (counts = zero()),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
