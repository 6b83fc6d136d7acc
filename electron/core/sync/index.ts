export { uploadSegment, backoffMs, errorForStatus, type UploadableSegment, type UploadOptions, type UploadResult } from './uploader.ts';
export { probeCollector, type ProbeResult } from './probe.ts';
export { Throttle } from './throttle.ts';
export { syncOutbox, type SyncOptions, type SyncProgress, type SyncReport } from './engine.ts';
export { logHandlers, startSync, COLLECTOR_TOKEN, type LogHandlerDeps } from './handlers.ts';
export { autoSync } from './auto.ts';
