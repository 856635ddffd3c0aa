/** The page's API client follows the video list's nextCursor, so the library shows every video. */
import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/app/api-client.ts';

const status = (n: number) => ({
  videoId: `V${String(n).padStart(21, '0')}`,
  sessionId: `V${String(n).padStart(21, '0')}`,
  recordingId: '11111111-1111-4111-8111-111111111111',
  title: null,
  mimeType: 'video/webm',
  state: 'complete',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  completedAt: null,
  totalChunks: 1,
  chunks: [[0, 0]],
  receivedChunks: 1,
  assembledChunks: 1,
  bytes: 1,
  sha256: null,
  missing: [],
  partial: false,
  shareUrl: 'http://x/s/1',
  videoUrl: null,
});

describe('api client', () => {
  it('lists every page of videos, passing each nextCursor once', async () => {
    const asked: string[] = [];
    const pages: Record<string, { videos: unknown[]; nextCursor: string | null }> = {
      '/api/v1/videos': { videos: [status(1), status(2)], nextCursor: 'c1' },
      '/api/v1/videos?cursor=c1': { videos: [status(3), status(4)], nextCursor: 'c2' },
      '/api/v1/videos?cursor=c2': { videos: [status(5)], nextCursor: null },
    };
    const fetch = (async (url: string) => {
      asked.push(url);
      return new Response(JSON.stringify(pages[url]), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const api = createApiClient({ getToken: async () => 't', fetch });
    expect((await api.listVideos()).map((v) => v.videoId)).toEqual([1, 2, 3, 4, 5].map((n) => status(n).videoId));
    expect(asked).toEqual(Object.keys(pages));
  });
});
