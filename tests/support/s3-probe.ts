/**
 * A separate node process that talks to the object store the way a server node is configured
 * to (OUTBOX_S3_* and AWS_* from its environment, docs/SCALE-OUT.md): `node --import tsx
 * tests/support/s3-probe.ts <key>` puts `<key>` with the body "probe" and prints `stored`.
 * Proves the test process's s3rver is reachable from child processes with that environment.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/server/storage/s3/client.ts';

const [key] = process.argv.slice(2);
const bucket = process.env.OUTBOX_S3_BUCKET;
if (!key || !bucket) throw new Error('usage: OUTBOX_S3_BUCKET=… s3-probe.ts <key>');
const client = createS3Client({
  endpoint: process.env.OUTBOX_S3_ENDPOINT,
  region: process.env.OUTBOX_S3_REGION ?? 'us-east-1',
  forcePathStyle: process.env.OUTBOX_S3_FORCE_PATH_STYLE === 'true',
});
await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'probe' }));
client.destroy();
process.stdout.write('stored\n');
