/** The part of s3rver 3.7's API our tests use (the package ships no types). */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { Server } from 'node:http';
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string }[];
  }
  interface MultipartPart {
    number: number;
    etag: string;
  }
  interface StoredObject {
    content: import('node:stream').Readable | null;
    range?: { start: number; end: number };
  }
  interface FilesystemStore {
    getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null>;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    putObjectMultipart(bucket: string, uploadId: string, parts: MultipartPart[]): Promise<{ md5: string; size: number }>;
  }
  /** Koa's context, as far as the tests read it. */
  interface MiddlewareContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    store: FilesystemStore;
    /** Koa's middleware list, composed when the server starts. */
    middleware: ((ctx: MiddlewareContext, next: () => Promise<void>) => Promise<void>)[];
    httpServer?: Server;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
declare module 's3rver/lib/models/error.js' {
  export default class S3Error extends Error {
    constructor(code: string, message: string, detail?: Record<string, unknown>);
  }
}
