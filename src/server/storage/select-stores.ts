/**
 * Configuration → the three byte stores of a node: files under `<dataDir>/blobs` (the embedded
 * default), or one S3 bucket when OUTBOX_S3_BUCKET is set — then this node keeps nothing of
 * value on its disk. Each store is initialised (directories created and its own leftover temp
 * files removed; the bucket checked) before it is handed out.
 */
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.ts';
import { DiskChunkObjects } from './disk/disk-chunk-objects.ts';
import { DiskOutputWriter } from './disk/disk-output-writer.ts';
import { DiskSmallObjects } from './disk/disk-small-objects.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from './ports.ts';

export interface Stores {
  chunks: ChunkObjects;
  output: OutputWriter;
  small: SmallObjects;
}

export async function openStores(cfg: ServerConfig, log: Pick<FastifyBaseLogger, 'info'>): Promise<Stores> {
  let stores: Stores;
  if (cfg.s3) {
    const { bucket, endpoint, region, forcePathStyle } = cfg.s3;
    // Loaded only when selected: the AWS SDK is ~7 MB of V8 heap that a disk node would carry
    // through every major GC (docs/PERFORMANCE.md "CPU per chunk at C=8").
    const [{ createS3Client }, { S3ChunkObjects }, { S3OutputWriter }, { S3SmallObjects }, { sharedTarget }] = await Promise.all([
      import('./s3/client.ts'),
      import('./s3/s3-chunk-objects.ts'),
      import('./s3/s3-output-writer.ts'),
      import('./s3/s3-small-objects.ts'),
      import('./s3/s3-target.ts'),
    ]);
    const target = sharedTarget(createS3Client({ region, forcePathStyle, ...(endpoint ? { endpoint } : {}) }), bucket, 3);
    stores = { chunks: new S3ChunkObjects(target()), output: new S3OutputWriter(target()), small: new S3SmallObjects(target()) };
    log.info({ event: 'storage/opened', backend: 's3', bucket, endpoint, region });
  } else {
    const root = join(cfg.dataDir, 'blobs');
    stores = { chunks: new DiskChunkObjects(root), output: new DiskOutputWriter(root), small: new DiskSmallObjects(root) };
    log.info({ event: 'storage/opened', backend: 'disk', root });
  }
  try {
    await Promise.all([stores.chunks.init(), stores.output.init(), stores.small.init()]);
  } catch (err) {
    await Promise.allSettled([stores.chunks.close(), stores.output.close(), stores.small.close()]);
    throw err;
  }
  return stores;
}
