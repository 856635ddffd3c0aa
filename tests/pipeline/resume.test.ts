import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chunkBytes, expectedChunksDigest, recordInto } from './fakes.ts';
import { REC_A, settle, setup, until } from './harness.ts';

const whole = (n: number) => Buffer.concat([...Array(n).keys()].map((i) => new Uint8Array(chunkBytes(i))));

describe('resume after a crash', () => {
  it('a new pipeline over the same IndexedDB resumes exactly where a stopped one left off', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 8);
    h.server.gated = true;
    const first = h.pipeline.drain('before-crash');
    // Let init and the first 4 uploads through, then crash with 2 requests parked at the gate.
    for (let released = 0; released < 5; ) {
      await settle(2);
      released += h.server.release(1);
    }
    await until(() => h.server.waitingAtGate >= 2);
    await settle();
    expect(h.server.waitingAtGate).toBe(2);
    const confirmedBefore = (await h.outbox.listChunks(REC_A)).filter((c) => c.state === 'uploaded').map((c) => c.index);
    expect(confirmedBefore).toEqual([0, 1, 2, 3]);
    h.pipeline.stop();
    h.server.release(2); // the parked requests now see their abort and never reach storage
    await first;

    h.server.gated = false;
    const callsBefore = h.server.calls.length;
    const second = await h.restart();
    const out = await second.drain('after-restart');
    expect(out).toEqual({ done: true, blocked: null, nextWakeAt: null, failed: 0 });
    const resent = h.server.calls.slice(callsBefore).filter((c) => c.op === 'chunk').map((c) => c.index);
    expect(resent).toEqual([4, 5, 6, 7]); // none confirmed before is sent again, none skipped
    expect([...h.server.writes.values()]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const chunks = await h.outbox.listChunks(REC_A);
    expect(chunks.map((c) => c.attempts)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]); // the abort burned nothing
    expect((await h.outbox.getRecording(REC_A))!.completionCheck).toEqual({ by: 'chunks-digest', digest: await expectedChunksDigest(8) });
  });

  it("treats 'uploading' left by a dead run as pending, burning no attempt", async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 3);
    // A run that died after claiming (no finally ever ran): two chunks stuck in 'uploading'.
    await h.outbox.claimReadyChunks(REC_A, 2, h.clock.now());
    expect((await h.outbox.chunkCounts(REC_A)).uploading).toBe(2);
    const p = await h.restart();
    await p.drain('startup');
    const chunks = await h.outbox.listChunks(REC_A);
    expect(chunks.map((c) => [c.state, c.attempts])).toEqual([['uploaded', 1], ['uploaded', 1], ['uploaded', 1]]);
    expect(h.log.events('stale-uploads-reset')[0]!.fields).toEqual({ chunks: 2 });
  });

  it('a chunk stored by the server whose answer died with the old run is re-sent as a harmless duplicate', async () => {
    const h = await setup();
    await recordInto(h.outbox, REC_A, 2);
    h.server.onChunk = (req, nth) => (req.index === 1 && nth === 1 ? { kind: 'lost' } : undefined);
    h.pipeline.stop(); // the old run "dies" right after its request reached the server:
    const rec = await h.restart();
    await h.outbox.claimReadyChunks(REC_A, 2, h.clock.now());
    await h.server.init({ recordingId: REC_A, mimeType: 'video/webm' });
    const sessionId = [...h.server.sessions.values()][0]!.status.sessionId;
    const [c1] = (await h.outbox.listChunks(REC_A)).slice(1);
    await h.server.putChunk({ sessionId, index: 1, data: c1!.data!, sha256: c1!.sha256 }).catch(() => undefined);
    await rec.drain('startup');
    expect(h.server.writes.get(`${REC_A}#1`)).toBe(1);
    expect(h.server.calls.filter((c) => c.op === 'chunk' && c.index === 1)).toHaveLength(2);
    expect((await h.outbox.getRecording(REC_A))!.state).toBe('complete');
  });
});
