/**
 * DeleteObjects leaves our S3 client with Content-MD5 (src/server/storage/s3/content-md5.ts),
 * which servers older than the SDK's flexible checksums require (OpenStack Swift 2.30 answers 400
 * without it), and no CRC32 checksum headers. A plain HTTP server on 127.0.0.1 stands in for the
 * object store and records the request; other commands are left as the SDK sends them.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/server/storage/s3/client.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts) });
      if (req.url!.includes('?delete')) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>');
      } else {
        res.writeHead(200, { etag: '"x"' });
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  createS3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    maxAttempts: 1,
  });

describe('the S3 client', () => {
  it('sends DeleteObjects with the Content-MD5 of its body, signed, and no flexible checksum', async () => {
    seen.length = 0;
    await client().send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'v/1' }, { Key: 'v/2' }], Quiet: true } }));
    const [req] = seen;
    expect(req!.method).toBe('POST');
    expect(req!.body.toString()).toContain('<Key>v/2</Key>');
    expect(req!.headers['content-md5']).toBe(createHash('md5').update(req!.body).digest('base64'));
    expect(Object.keys(req!.headers).filter((h) => /^x-amz-(sdk-)?checksum-/.test(h))).toEqual([]);
    expect(req!.headers.authorization).toMatch(/SignedHeaders=[^,]*content-md5/);
  });

  it('leaves other commands as the SDK sends them', async () => {
    seen.length = 0;
    await client().send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Buffer.from('bytes') }));
    expect(seen[0]!.method).toBe('PUT');
    expect(seen[0]!.headers['content-md5']).toBeUndefined();
  });
});
