import { describe, expect, it } from 'vitest';
import { ChunkSequencer } from '../../src/app/recorder/chunk-sequencer.ts';
import { RecordingSession, type MediaRecorderLike } from '../../src/app/recorder/recording-session.ts';
import { OutboxError } from '../../src/shared/outbox/errors.ts';
import { silentLogger } from '../../src/shared/log.ts';

/** A MediaRecorder stand-in: the test decides when chunks arrive; stop() emits a last one. */
class FakeRecorder extends EventTarget implements MediaRecorderLike {
  state: 'inactive' | 'recording' | 'paused' = 'inactive';
  timeslice: number | undefined;
  finalChunk = new Blob([new Uint8Array([9, 9])]);
  start(timeslice?: number) {
    this.state = 'recording';
    this.timeslice = timeslice;
  }
  pause() {
    this.state = 'paused';
  }
  resume() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    queueMicrotask(() => {
      this.emit(this.finalChunk);
      this.dispatchEvent(new Event('stop'));
    });
  }
  emit(data: Blob) {
    this.dispatchEvent(Object.assign(new Event('dataavailable'), { data }));
  }
}

function fakeStream() {
  const stopped: string[] = [];
  const tracks = [{ kind: 'video', stop: () => stopped.push('video') }];
  return { stream: { getTracks: () => tracks } as unknown as MediaStream, stopped };
}

interface Call {
  op: string;
  index?: number;
  bytes?: number[];
  total?: number;
  state?: string;
}

/** An outbox whose writes take a random-ish time, so out-of-order completion would show. */
function fakeOutbox(opts: { failAt?: number; delays?: number[] } = {}) {
  const calls: Call[] = [];
  return {
    calls,
    outbox: {
      async createRecording(input: { id: string; mimeType: string }) {
        calls.push({ op: 'create' });
        return { id: input.id } as never;
      },
      async addChunk(_id: string, index: number, data: ArrayBuffer) {
        await new Promise((r) => setTimeout(r, opts.delays?.[index] ?? 0));
        if (opts.failAt !== undefined && index >= opts.failAt) throw new OutboxError('quota_exceeded');
        calls.push({ op: 'add', index, bytes: [...new Uint8Array(data)] });
        return {} as never;
      },
      async stopRecording(_id: string, total: number, state?: string) {
        calls.push({ op: 'stop', total, ...(state ? { state } : {}) });
        return {} as never;
      },
    },
  };
}

function fakeUpload(calls: Call[]) {
  return {
    notifyChunkAdded: (_id: string, index: number) => calls.push({ op: 'notify', index }),
    notifyStopped: (_id: string, total: number) => calls.push({ op: 'notify-stopped', total }),
  };
}

async function begin(outbox: ReturnType<typeof fakeOutbox>, chunkMs = 2000) {
  const recorder = new FakeRecorder();
  const { stream, stopped } = fakeStream();
  const ended: unknown[] = [];
  const session = await RecordingSession.begin(
    { outbox: outbox.outbox, upload: fakeUpload(outbox.calls), createRecorder: () => recorder, newId: () => 'rec-1', logger: silentLogger },
    { stream, mimeType: 'video/webm', chunkMs, onEnded: (r) => ended.push(r) },
  );
  return { session, recorder, stopped, ended };
}

describe('ChunkSequencer', () => {
  it('writes chunks in arrival order even when an earlier write is slower', async () => {
    const order: number[] = [];
    const seq = new ChunkSequencer({
      write: async (index) => {
        await new Promise((r) => setTimeout(r, index === 0 ? 30 : 0));
        order.push(index);
      },
    });
    seq.push(new Blob(['a']));
    seq.push(new Blob(['b']));
    seq.push(new Blob(['c']));
    expect(await seq.flush()).toBe(3);
    expect(order).toEqual([0, 1, 2]);
  });

  it('stops writing after a failure so no index is skipped', async () => {
    const written: number[] = [];
    const failures: number[] = [];
    const seq = new ChunkSequencer({
      write: async (index) => {
        if (index === 1) throw new Error('disk full');
        written.push(index);
      },
      failed: (_e, index) => failures.push(index),
    });
    for (const s of ['a', 'b', 'c']) seq.push(new Blob([s]));
    expect(await seq.flush()).toBe(1);
    expect(written).toEqual([0]);
    expect(failures).toEqual([1]);
  });
});

describe('RecordingSession', () => {
  it('creates the recording first and starts the recorder with the chunk length', async () => {
    const ob = fakeOutbox();
    const { recorder } = await begin(ob, 1500);
    expect(ob.calls[0]).toEqual({ op: 'create' });
    expect(recorder.timeslice).toBe(1500);
    expect(recorder.state).toBe('recording');
  });

  it('numbers chunks gap-free, writes each before announcing it, and writes zero-byte chunks', async () => {
    const ob = fakeOutbox({ delays: [20, 0, 5] });
    const { session, recorder } = await begin(ob);
    recorder.emit(new Blob([new Uint8Array([1])]));
    recorder.emit(new Blob([]));
    recorder.emit(new Blob([new Uint8Array([3, 3])]));
    const result = await session.stop();
    expect(result.totalChunks).toBe(4);
    expect(ob.calls.slice(1)).toEqual([
      { op: 'add', index: 0, bytes: [1] },
      { op: 'notify', index: 0 },
      { op: 'add', index: 1, bytes: [] },
      { op: 'notify', index: 1 },
      { op: 'add', index: 2, bytes: [3, 3] },
      { op: 'notify', index: 2 },
      { op: 'add', index: 3, bytes: [9, 9] },
      { op: 'notify', index: 3 },
      { op: 'stop', total: 4, state: 'stopped' },
      { op: 'notify-stopped', total: 4 },
    ]);
  });

  it('closes cleanly when the recorder stops by itself (the source ended) and releases the tracks', async () => {
    const ob = fakeOutbox();
    const { recorder, stopped, ended } = await begin(ob);
    recorder.emit(new Blob(['x']));
    recorder.stop();
    await expect.poll(() => ended.length).toBe(1);
    expect(ended[0]).toMatchObject({ reason: 'source-ended', totalChunks: 2 });
    expect(ob.calls.at(-2)).toEqual({ op: 'stop', total: 2, state: 'stopped' });
    expect(stopped).toEqual(['video']);
  });

  it('on quota_exceeded stops recording, keeps what was saved, and closes with that total', async () => {
    const ob = fakeOutbox({ failAt: 2 });
    const { recorder, ended } = await begin(ob);
    recorder.emit(new Blob(['a']));
    recorder.emit(new Blob(['b']));
    recorder.emit(new Blob(['c']));
    await expect.poll(() => ended.length).toBe(1);
    expect(ended[0]).toMatchObject({ reason: 'quota', totalChunks: 2 });
    expect(recorder.state).toBe('inactive');
    expect(ob.calls.filter((c) => c.op === 'add').map((c) => c.index)).toEqual([0, 1]);
    expect(ob.calls.at(-2)).toEqual({ op: 'stop', total: 2, state: 'interrupted' });
  });

  it('stop is idempotent', async () => {
    const ob = fakeOutbox();
    const { session } = await begin(ob);
    const [a, b] = await Promise.all([session.stop(), session.stop()]);
    expect(a).toBe(b);
    expect(ob.calls.filter((c) => c.op === 'stop')).toHaveLength(1);
  });

  it('pause and resume drive the recorder', async () => {
    const { session, recorder } = await begin(fakeOutbox());
    session.pause();
    expect(recorder.state).toBe('paused');
    session.resume();
    expect(recorder.state).toBe('recording');
  });
});
