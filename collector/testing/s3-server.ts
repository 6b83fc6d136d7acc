// A child process for tests: s3rver (an S3-compatible server from the npm registry, keeping objects
// in a folder) on 127.0.0.1 and a random port, with the two multipart calls it lacks added in front:
// ListParts (GET ?uploadId) and AbortMultipartUpload (DELETE ?uploadId). @tus/s3-store needs
// ListParts to resume; s3rver keeps parts as <dir>/<bucket>/._S3rver_uploads/<uploadId>/<n> with
// <n>.md5 written once the part is whole, so a part still being written is not listed.
// Usage: node s3-server.ts DIR BUCKET; prints {"port": …} once listening. No other S3 server installs
// from npm or Debian with ListParts (s3rver, its fork, fauxqs lack it; radosgw needs a Ceph cluster).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver') as new (o: Record<string, unknown>) => { callback(): http.RequestListener; configureBuckets(): Promise<void> };

const [dir, bucket] = process.argv.slice(2) as [string, string];
// allowMismatchedSignatures: s3rver computes SigV4 differently from SDK v3 for path-style bucket
// URLs ("/bucket/?list-type=2") and refuses them; keys are still required and checked to exist.
const app = new S3rver({ directory: dir, silent: true, allowMismatchedSignatures: true, configureBuckets: [{ name: bucket, configs: [] }] });
await app.configureBuckets();
const s3 = app.callback();

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function noSuchUpload(res: http.ServerResponse, id: string): void {
  res.writeHead(404, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${esc(id)}</UploadId></Error>`);
}

function listParts(res: http.ServerResponse, key: string, id: string, marker: number): void {
  const up = path.join(dir, bucket, '._S3rver_uploads', path.basename(id));
  if (!/^[A-Za-z0-9._-]+$/.test(id) || !fs.existsSync(up)) return noSuchUpload(res, id);
  const parts = fs
    .readdirSync(up)
    .filter((n) => /^\d+\.md5$/.test(n))
    .map((n) => Number(n.slice(0, -4)))
    .filter((n) => n > marker)
    .sort((a, b) => a - b)
    .slice(0, 1000);
  const xml = parts
    .map((n) => {
      const st = fs.statSync(path.join(up, String(n)));
      const md5 = fs.readFileSync(path.join(up, `${n}.md5`), 'utf8').trim();
      return `<Part><PartNumber>${n}</PartNumber><LastModified>${st.mtime.toISOString()}</LastModified><ETag>"${esc(md5)}"</ETag><Size>${st.size}</Size></Part>`;
    })
    .join('');
  res.writeHead(200, { 'Content-Type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key>` +
      `<UploadId>${esc(id)}</UploadId><PartNumberMarker>${marker}</PartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${xml}</ListPartsResult>`,
  );
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://s3');
  const id = url.searchParams.get('uploadId');
  const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
  if (id !== null && req.method === 'GET') return listParts(res, key, id, Number(url.searchParams.get('part-number-marker') ?? 0) || 0);
  if (id !== null && req.method === 'DELETE') {
    fs.rmSync(path.join(dir, bucket, '._S3rver_uploads', path.basename(id)), { recursive: true, force: true });
    res.writeHead(204);
    res.end();
    return;
  }
  s3(req, res);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
