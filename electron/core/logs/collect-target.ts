import { toApiError, type ApiError } from '../../../shared/errors.ts';
import { boxIdOf, identifyBox } from '../boxes/index.ts';
import type { Connections, ConnectOptions } from '../connections/index.ts';
import type { AuditLog } from '../db/index.ts';
import type { SegmentStore } from './segments.ts';
import { collectBox, type BoxCollection, type CollectOptions } from './sources.ts';
import type { SourceProgress } from './source.ts';

export interface TargetCollection {
  target: string;
  ok: boolean;
  collection?: BoxCollection;
  error?: ApiError;
}

/**
 * Collects one box, the same for every front door (`fieldlink logs collect`, the Box view's Collect
 * now): connect, identify the box from what it reports (the segments carry its stable id), collect
 * into the store, audit the outcome. A failure is a result, never a throw.
 */
export async function collectTarget(
  d: { connections: Pick<Connections, 'shell'>; audit: Pick<AuditLog, 'record'>; store: SegmentStore },
  target: string,
  o: Omit<CollectOptions, 'boxId' | 'onProgress'> & { connect?: ConnectOptions; onProgress?: (p: SourceProgress) => void; onStage?: (message: string) => void },
): Promise<TargetCollection> {
  try {
    o.onStage?.(`${target}: connecting`);
    const shell = await d.connections.shell(target, { ...o.connect, ...(o.signal ? { signal: o.signal } : {}) });
    try {
      const boxId = boxIdOf(await identifyBox(shell, { signal: o.signal }));
      const { connect: _connect, onStage: _stage, ...collect } = o;
      const collection = await collectBox(shell, d.store, { ...collect, boxId, timeoutMs: o.timeoutMs ?? o.connect?.timeoutMs });
      d.audit.record({ boxId, action: 'logs.collect', outcome: 'ok', detail: summaryLine(collection) });
      return { target, ok: true, collection };
    } finally {
      await shell.close();
    }
  } catch (e) {
    const error = toApiError(e);
    o.onStage?.(`${target}: ${error.message}`);
    d.audit.record({ action: 'logs.collect', outcome: 'failed', detail: `${target}: ${error.code}` });
    return { target, ok: false, error };
  }
}

export const sizeText = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** One line for the audit log and the job: what a collection brought in. */
export function summaryLine(c: BoxCollection): string {
  const n = Object.values(c.redactions).reduce((a, b) => a + b, 0);
  return `${c.segments} segments, ${c.lines} lines, ${sizeText(c.rawBytes)} raw, ${sizeText(c.bytes)} stored, ${n} redactions${c.failed.length ? `; failed: ${c.failed.map((f) => f.source).join(', ')}` : ''}`;
}
