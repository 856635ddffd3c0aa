/**
 * A full store answers 507 insufficient_storage and records nothing — on both backends
 * (OUTBOX_TEST_BACKEND): every store maps its engine's "no space" to that code itself
 * (storage/ports.ts), so the test makes the test backend's stores answer it. The real ENOSPC of
 * a full disk is tests/faults/server-disk-full.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/errors.ts';
import { intercept, startServerWithStores } from '../support/stores.ts';
import { client } from './helpers.ts';

/** What every store answers when its storage is full. */
const full = async (): Promise<never> => {
  throw new ApiError('insufficient_storage');
};

describe('full storage', () => {
  it('answers 507 insufficient_storage and records nothing', async () => {
    const server = await startServerWithStores(({ chunks, output }) => ({ chunks: intercept(chunks, { put: full }), output: intercept(output, { write: full }) }), {
      env: { LOG_LEVEL: 'silent' },
    });
    try {
      const c = client(server.url, await server.createUser('full'));
      const id = (await c.init()).json.sessionId as string;
      const r = await c.chunk(id, 0, Buffer.from('bytes'));
      expect(r.status).toBe(507);
      expect(r.json.error.code).toBe('insufficient_storage');
      expect((await c.status(id)).json.receivedChunks).toBe(0);
      // Out of order (stored, not written into the output): the same answer.
      const late = await c.chunk(id, 3, Buffer.from('later'));
      expect(late.json.error.code).toBe('insufficient_storage');
      expect((await c.status(id)).json.receivedChunks).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
