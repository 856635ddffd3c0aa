/**
 * The end-to-end check before local bytes are released: the server's chunks digest against the
 * one computed here from the local chunks (each hashed again), the whole recording's SHA-256 for
 * a server that sends no chunks digest, and no completion at all while the server sent neither.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chunkBytes, corruptLocalChunk, expectedChunksDigest, recordInto } from './fakes.ts';
import { REC_A, setup } from './harness.ts';

const whole = (n: number) => Buffer.concat([...Array(n).keys()].map((i) => new Uint8Array(chunkBytes(i))));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('completion check', () => {
  it('equal chunks digests: complete, local bytes released, the check recorded', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    await recordInto(h.outbox, REC_A, 4);
    expect(await h.pipeline.drain('test')).toMatchObject({ done: true, failed: 0 });
    const digest = await expectedChunksDigest(4);
    const rec = await h.outbox.getRecording(REC_A);
    expect(rec).toMatchObject({ state: 'complete', localCopy: 'released', localBytes: 0, completionCheck: { by: 'chunks-digest', digest }, localChunksDigest: digest });
    expect(await h.outbox.recordingBlob(REC_A)).toBeNull();
    expect(h.server.calls.filter((c) => c.op === 'status')).toHaveLength(0);
  });

  it('one chunk the server holds differently: assembled_mismatch shown, nothing released', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    await recordInto(h.outbox, REC_A, 3);
    // The server's digest is over its own chunk SHA-256s: one of them differs from ours.
    h.server.onFinalize = () => {
      h.server.sessions.get(REC_A)!.chunks.set(2, new Uint8Array(chunkBytes(7)));
      return undefined;
    };
    const snapshots: string[] = [];
    h.pipeline.onProgress((s) => snapshots.push(`${s.recordings[0]!.phase}:${s.recordings[0]!.lastError?.code ?? ''}`));
    await h.pipeline.drain('test');
    const rec = await h.outbox.getRecording(REC_A);
    expect(rec).toMatchObject({ state: 'stopped', localCopy: 'kept', completionCheck: null, lastError: { code: 'assembled_mismatch' } });
    expect((await h.outbox.listChunks(REC_A)).every((c) => c.data !== null)).toBe(true);
    expect(Buffer.from(await (await h.outbox.recordingBlob(REC_A))!.arrayBuffer()).equals(whole(3))).toBe(true);
    expect(snapshots.at(-1)).toBe('failed:assembled_mismatch');
    expect(h.log.events('finalize-result').at(-1)!.fields).toMatchObject({ status: 'mismatch', checkedBy: 'chunks-digest' });
  });

  it('a local chunk that changed after it was uploaded is caught by re-hashing: nothing released', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    await recordInto(h.outbox, REC_A, 3, { stop: false });
    await h.pipeline.drain('while recording'); // every chunk confirmed by the server, bytes as captured
    await corruptLocalChunk(h.outbox, REC_A, 1);
    await h.outbox.stopRecording(REC_A, 3);
    await h.pipeline.drain('stopped');
    const rec = await h.outbox.getRecording(REC_A);
    expect(rec).toMatchObject({ state: 'stopped', localCopy: 'kept', lastError: { code: 'assembled_mismatch' } });
    expect((await h.outbox.listChunks(REC_A)).every((c) => c.data !== null)).toBe(true);
  });

  it('a server before the chunks digest: its SHA-256 of the recording is compared instead', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    h.server.digests = 'sha256';
    await recordInto(h.outbox, REC_A, 3);
    await h.pipeline.drain('test');
    const rec = await h.outbox.getRecording(REC_A);
    expect(rec).toMatchObject({ state: 'complete', localCopy: 'released', completionCheck: { by: 'sha256', digest: sha(whole(3)) }, localSha256: sha(whole(3)) });
  });

  it('a server before the chunks digest whose SHA-256 differs: mismatch, kept', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    h.server.digests = 'sha256';
    await recordInto(h.outbox, REC_A, 2);
    const orig = h.server.finalize.bind(h.server);
    h.server.finalize = async (req, signal) => {
      const res = await orig(req, signal);
      return res.status === 'complete' ? { ...res, sha256: 'e'.repeat(64) } : res;
    };
    await h.pipeline.drain('test');
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'stopped', localCopy: 'kept', lastError: { code: 'assembled_mismatch' } });
  });

  it('neither digest yet: kept, never called complete, the status asked again until one comes', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    h.server.digests = 'none';
    await recordInto(h.outbox, REC_A, 2);
    const out = await h.pipeline.drain('test');
    // Still work to do (polling the status), and nothing released meanwhile.
    expect(out.done).toBe(false);
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'stopped', localCopy: 'kept', completionCheck: null, lastError: null });
    const polls = h.server.calls.filter((c) => c.op === 'status').length;
    expect(polls).toBeGreaterThan(2);
    expect(h.server.calls.filter((c) => c.op === 'finalize')).toHaveLength(1);
    expect(h.log.events('completion-unchecked').length).toBeGreaterThan(2);
    // The server learns its digests (its after-completion job ran): the next poll completes it.
    await h.server.digestsKnown(REC_A);
    expect(await h.pipeline.drain('again')).toMatchObject({ done: true });
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', localCopy: 'released', completionCheck: { by: 'chunks-digest', digest: await expectedChunksDigest(2) } });
  });

  it('a video the server lost while its status was polled is uploaded again, and the poll ends', async () => {
    const h = await setup();
    h.server.digests = 'none';
    await recordInto(h.outbox, REC_A, 2);
    await h.pipeline.drain('first');
    h.server.forget(REC_A); // status answers 404 from now on
    h.server.digests = 'chunks-digest';
    const out = await h.pipeline.drain('second');
    expect(h.log.events('session-lost')).toHaveLength(1);
    expect(out).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', completionCheck: { by: 'chunks-digest' } });
  });

  it('a re-init that finds the session already complete checks the chunks digest too', async () => {
    const h = await setup({ settings: { keepLocalCopy: false } });
    await recordInto(h.outbox, REC_A, 2);
    // The finalize answer is lost and the session forgotten locally: the next init finds it complete.
    h.server.onFinalize = () => ({ kind: 'lost' });
    await h.pipeline.drain('first');
    h.server.onFinalize = () => undefined;
    await h.outbox.patchRecording(REC_A, { sessionId: null });
    const init = h.server.init.bind(h.server);
    let statusSeen: unknown;
    h.server.init = async (req, signal) => {
      const st = await init(req, signal);
      statusSeen = st;
      return st;
    };
    const second = await h.restart();
    await second.drain('second');
    expect(statusSeen).toMatchObject({ state: 'complete', chunksDigest: await expectedChunksDigest(2) });
    expect(await h.outbox.getRecording(REC_A)).toMatchObject({ state: 'complete', completionCheck: { by: 'chunks-digest', digest: await expectedChunksDigest(2) } });
  });
});
