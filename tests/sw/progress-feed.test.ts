import { describe, expect, it } from 'vitest';
import type { WorkerToPage } from '../../src/shared/messages.ts';
import type { ProgressSnapshot } from '../../src/shared/progress.ts';
import { ProgressFeed } from '../../src/app/upload/progress-feed.ts';

function snap(at: number): ProgressSnapshot {
  return {
    at,
    overall: { uploaded: 0, totalQueued: 0, failed: 0, pending: 0, percentage: 0, isOnline: true, hasSession: false, isUploading: false, authRequired: false },
    recordings: [],
  };
}

describe('ProgressFeed (the page side of the progress channel)', () => {
  it('delivers valid progress and notices, and drops malformed messages', () => {
    const feed = new ProgressFeed();
    const progress: number[] = [];
    const messages: string[] = [];
    feed.progress.add((s) => progress.push(s.at));
    feed.messages.add((m: WorkerToPage) => messages.push(m.type));
    feed.receive({ type: 'pipeline/progress', snapshot: snap(1) });
    feed.receive({ type: 'pipeline/progress', snapshot: { at: 'soon' } });
    feed.receive({ type: 'auth/required' });
    feed.receive({ type: 'outbox/chunk-added' });
    feed.receive(null);
    expect(progress).toEqual([1]);
    expect(messages).toEqual(['pipeline/progress', 'auth/required']);
    expect(feed.latest?.at).toBe(1);
  });

  it('keeps the newest snapshot when an older one arrives late (old and new worker overlap)', () => {
    const feed = new ProgressFeed();
    feed.receive({ type: 'pipeline/progress', snapshot: snap(5) });
    feed.receive({ type: 'pipeline/progress', snapshot: snap(3) });
    expect(feed.latest?.at).toBe(5);
  });

  it('keeps delivering to other listeners when one throws', () => {
    const feed = new ProgressFeed();
    const seen: number[] = [];
    const original = console.error;
    console.error = () => {};
    try {
      feed.progress.add(() => {
        throw new Error('broken UI');
      });
      feed.progress.add((s) => seen.push(s.at));
      feed.receive({ type: 'pipeline/progress', snapshot: snap(7) });
    } finally {
      console.error = original;
    }
    expect(seen).toEqual([7]);
  });
});
