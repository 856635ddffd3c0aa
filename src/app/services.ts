/**
 * What the views are handed by main.ts: the outbox (the page's only hand-off to the uploader),
 * the upload client, and the API client. `AppOutbox` is the part of the outbox store's API the
 * app uses, written out so the app depends on a shape, not on the store's class.
 */
import type { OutboxChunk, RecordingRecord } from '../shared/outbox/schema.ts';
import type { Settings } from '../shared/settings.ts';
import type { UploadClient } from './upload/types.ts';
import type { ApiClient } from './api-client.ts';

export interface AppOutbox {
  createRecording(input: { id: string; mimeType: string; title?: string | null }): Promise<RecordingRecord>;
  addChunk(recordingId: string, index: number, data: ArrayBuffer): Promise<OutboxChunk>;
  stopRecording(recordingId: string, totalChunks: number, state?: 'stopped' | 'interrupted'): Promise<RecordingRecord>;
  getRecording(id: string): Promise<RecordingRecord | undefined>;
  listRecordings(): Promise<RecordingRecord[]>;
  listChunks(recordingId: string): Promise<OutboxChunk[]>;
  recordingBlob(id: string): Promise<Blob | null>;
  deleteRecording(id: string, opts?: { force?: boolean }): Promise<void>;
  getSettings(): Promise<Settings>;
  saveSettings(s: Partial<Settings>): Promise<Settings>;
  getToken(): Promise<string | null>;
  setToken(t: string | null): Promise<void>;
}

export interface AppServices {
  outbox: AppOutbox;
  upload: UploadClient;
  api: ApiClient;
}
