/**
 * Which stores a node opens: files under OUTBOX_DATA_DIR with no setting, one S3 bucket with
 * OUTBOX_S3_BUCKET (credentials from the SDK's default chain), and a start-up that fails with
 * the catalogue's answer when the bucket cannot be reached.
 */
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { newId } from '../../src/server/ids.ts';
import { openStores } from '../../src/server/storage/select-stores.ts';
import { useS3 } from '../support/s3.ts';
import { expectCode } from './chunk-objects.contract.ts';

const { s3 } = useS3();
const log = { info: () => {} };

describe('S3 configuration', () => {
  it('is null unless OUTBOX_S3_BUCKET is set, with us-east-1 and virtual-host style by default', () => {
    expect(loadConfig({}).s3).toBeNull();
    expect(loadConfig({ OUTBOX_S3_BUCKET: 'rec' }).s3).toEqual({ bucket: 'rec', endpoint: null, region: 'us-east-1', forcePathStyle: false });
    expect(
      loadConfig({ OUTBOX_S3_BUCKET: 'rec', OUTBOX_S3_ENDPOINT: 'http://127.0.0.1:9000', OUTBOX_S3_REGION: 'eu-west-3', OUTBOX_S3_FORCE_PATH_STYLE: 'true' }).s3,
    ).toEqual({ bucket: 'rec', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-3', forcePathStyle: true });
  });

  it('refuses a malformed endpoint or path-style flag, naming the variable', () => {
    expect(() => loadConfig({ OUTBOX_S3_BUCKET: 'rec', OUTBOX_S3_ENDPOINT: '127.0.0.1:9000' })).toThrow(/OUTBOX_S3_ENDPOINT/);
    expect(() => loadConfig({ OUTBOX_S3_BUCKET: 'rec', OUTBOX_S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/OUTBOX_S3_FORCE_PATH_STYLE/);
  });
});

describe('openStores', () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  let dataDir = '';
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'outbox-stores-'));
    const { accessKeyId, secretAccessKey } = s3().settings.credentials!;
    process.env.AWS_ACCESS_KEY_ID = accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = secretAccessKey;
  });
  afterAll(async () => {
    for (const [k, v] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('opens disk stores under the data directory with no setting', async () => {
    const stores = await openStores(loadConfig({ OUTBOX_DATA_DIR: dataDir }), log);
    const vid = newId();
    await stores.small.put(vid, 'head', Buffer.from('on disk'));
    expect(await readdir(join(dataDir, 'blobs', 'small'))).toEqual([vid]);
    await Promise.all([stores.chunks.close(), stores.output.close(), stores.small.close()]);
  });

  it('opens S3 stores on the bucket with credentials from the environment', async () => {
    const env = { OUTBOX_DATA_DIR: dataDir, OUTBOX_S3_BUCKET: s3().bucket, OUTBOX_S3_ENDPOINT: s3().settings.endpoint!, OUTBOX_S3_FORCE_PATH_STYLE: 'true' };
    const stores = await openStores(loadConfig(env), log);
    const vid = newId();
    await stores.small.put(vid, 'poster', Buffer.from('in the bucket'));
    expect(await stores.small.get(vid, 'poster')).toEqual(Buffer.from('in the bucket'));
    expect(await readdir(join(dataDir, 'blobs', 'small'))).not.toContain(vid);
    await Promise.all([stores.chunks.close(), stores.output.close(), stores.small.close()]);
  });

  it('fails to start naming the bucket when it does not exist', async () => {
    const env = { OUTBOX_DATA_DIR: dataDir, OUTBOX_S3_BUCKET: 'no-such-bucket', OUTBOX_S3_ENDPOINT: s3().settings.endpoint!, OUTBOX_S3_FORCE_PATH_STYLE: 'true' };
    await expect(openStores(loadConfig(env), log)).rejects.toThrow(/"no-such-bucket" does not exist/);
  });

  it('fails to start with service_unavailable when the bucket cannot be reached', async () => {
    const env = { OUTBOX_DATA_DIR: dataDir, OUTBOX_S3_BUCKET: s3().bucket, OUTBOX_S3_ENDPOINT: 'http://127.0.0.1:9', OUTBOX_S3_FORCE_PATH_STYLE: 'true' };
    await expectCode(openStores(loadConfig(env), log), 'service_unavailable');
  });
});
