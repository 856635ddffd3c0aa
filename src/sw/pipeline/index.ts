/** Public surface of the upload pipeline for the service worker and the page fallback. */
export { UploadPipeline, MAX_INLINE_WAIT_MS } from './pipeline.ts';
export type { DrainOutcome, PipelinePorts, Transport, Clock, Connectivity, ChunkUpload, BlockedReason } from './ports.ts';
export { systemClock } from './ports.ts';
export { createHttpTransport, type HttpTransportOptions } from './http-transport.ts';
export { navigatorConnectivity } from './connectivity.ts';
export { TransportError, type TransportErrorKind } from './transport-error.ts';
export { TokenBucket } from './token-bucket.ts';
