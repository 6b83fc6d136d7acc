export { startCollector, collectorLogger, type Collector, type CollectorOptions } from './server.ts';
export { loadTokens, parseTokens, checkAuthorization, TokenFileError, type TokenEntry } from './tokens.ts';
export { validateSegmentMeta, parseUploadMetadata, MetadataError, type SegmentMeta } from './metadata.ts';
export { Catalog, type SegmentRow } from './catalog.ts';
export { main } from './cli.ts';
export { parseS3Option, S3Backend, type S3Options } from './s3.ts';
export { RedisLocker, type RedisLockerOptions } from './redis-locker.ts';
export { FileBackend, type SegmentBackend } from './backend.ts';
