/**
 * The page's few direct API calls (who am I, my videos, delete). Uploads never go through here:
 * the uploader owns them. Answers are validated with the shared zod schemas; failures become
 * ApiError with the catalogue's code, and a request that never reached the server becomes
 * `OfflineError` so views can say "offline" rather than "failed".
 */
import { ApiError } from '../shared/errors.ts';
import { ErrorBody, MeResponse, type RenameRequest, ROUTES, VideoList, VideoStatus } from '../shared/api.ts';

export class OfflineError extends Error {
  readonly code = 'offline' as const;
  constructor(options?: { cause?: unknown }) {
    super('The server could not be reached.', options);
    this.name = 'OfflineError';
  }
}

export interface ApiClient {
  me(token?: string): Promise<MeResponse>;
  listVideos(): Promise<VideoStatus[]>;
  getVideo(videoId: string): Promise<VideoStatus>;
  deleteVideo(videoId: string): Promise<void>;
  /** Sets the title; the server validates and answers the updated status. */
  renameVideo(videoId: string, title: string): Promise<VideoStatus>;
  /** Uploads the poster frame (JPEG) shown on the share page, in the library and in link previews. */
  uploadPoster(videoId: string, jpeg: Blob): Promise<void>;
}

export function createApiClient(opts: { getToken: () => Promise<string | null>; fetch?: typeof fetch; baseUrl?: string }): ApiClient {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const base = opts.baseUrl ?? '';

  async function request(path: string, init: RequestInit = {}, token?: string): Promise<Response> {
    const bearer = token ?? (await opts.getToken());
    if (!bearer) throw new ApiError('unauthorized');
    let res: Response;
    try {
      res = await doFetch(base + path, { ...init, headers: { ...init.headers, authorization: `Bearer ${bearer}` } });
    } catch (e) {
      throw new OfflineError({ cause: e });
    }
    if (res.ok) return res;
    const body = ErrorBody.safeParse(await res.json().catch(() => null));
    if (body.success) throw new ApiError(body.data.error.code, body.data.error.details, body.data.error.message);
    if (res.status === 401) throw new ApiError('unauthorized');
    if (res.status === 404) throw new ApiError('not_found');
    throw new ApiError(res.status >= 500 ? 'service_unavailable' : 'validation_failed', { status: res.status });
  }

  return {
    async me(token) {
      return MeResponse.parse(await (await request(ROUTES.me, {}, token)).json());
    },
    async listVideos() {
      // The list is paginated; the library shows them all, so follow nextCursor to the end.
      const videos: VideoStatus[] = [];
      for (let cursor: string | null = null; ; ) {
        const path: string = cursor === null ? ROUTES.list : `${ROUTES.list}?cursor=${encodeURIComponent(cursor)}`;
        const page = VideoList.parse(await (await request(path)).json());
        videos.push(...page.videos);
        if (page.nextCursor === null || page.videos.length === 0) return videos;
        cursor = page.nextCursor;
      }
    },
    async getVideo(videoId) {
      return VideoStatus.parse(await (await request(ROUTES.video(videoId))).json());
    },
    async deleteVideo(videoId) {
      await request(ROUTES.video(videoId), { method: 'DELETE' });
    },
    async renameVideo(videoId, title) {
      const body: RenameRequest = { title };
      const init = { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      return VideoStatus.parse(await (await request(ROUTES.video(videoId), init)).json());
    },
    async uploadPoster(videoId, jpeg) {
      await request(ROUTES.poster(videoId), { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
    },
  };
}

export function isUnauthorized(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'unauthorized';
}
