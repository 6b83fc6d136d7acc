import { FieldlinkError } from '../../../shared/errors.ts';
import type { Redactor } from './redact.ts';
import type { SegmentRow, SegmentStore, SegmentWriter } from './segments.ts';

/**
 * Where a source's lines go: through the Redactor into segments, a new segment each time one
 * reaches its raw cap. Each line comes with the source position after it (`pos`): a committed
 * segment moves the source's cursor to its last line's position in the same transaction, so a
 * crash or an error mid-collection loses nothing (not yet committed means collected again) and
 * duplicates nothing (committed means the cursor is past it).
 */
export interface SinkOptions {
  boxId: string;
  source: string;
  /** The cursor the collection started from (recorded as the first segment's range start). */
  start: string | null;
  onSegment?: (row: SegmentRow) => void;
}

const busy = new Set<string>();

export class SegmentSink {
  readonly #store: SegmentStore;
  readonly #redactor: Redactor;
  readonly #opts: SinkOptions;
  readonly #key: string;
  readonly segments: SegmentRow[] = [];
  #writer: SegmentWriter | null = null;
  #from: string;
  #lastPos: string | null = null;
  #timeFrom: number | undefined;
  #timeTo: number | undefined;
  #closed = false;

  constructor(store: SegmentStore, redactor: Redactor, opts: SinkOptions) {
    this.#key = `${opts.boxId}\n${opts.source}`;
    // Two collections of one source at once would each start from the same cursor and store it twice.
    if (busy.has(this.#key)) throw new FieldlinkError('CONFLICT', `Logs of ${opts.source} on ${opts.boxId} are being collected already; wait for that to finish.`);
    busy.add(this.#key);
    this.#store = store;
    this.#redactor = redactor;
    this.#opts = opts;
    this.#from = opts.start ?? 'start';
  }

  /** Raw bytes and lines written so far in this run. */
  get stats(): { lines: number; rawBytes: number; segments: number } {
    const committed = this.segments.reduce((a, s) => ({ lines: a.lines + s.lines, rawBytes: a.rawBytes + s.rawBytes }), { lines: 0, rawBytes: 0 });
    return { lines: committed.lines + (this.#writer?.lines ?? 0), rawBytes: committed.rawBytes + (this.#writer?.rawBytes ?? 0), segments: this.segments.length };
  }

  /**
   * One line of box text (not yet redacted), the source position after it, its time (ms) if known.
   * `canCut` false keeps the segment open past its cap (inside a multi-line journal entry, whose
   * position is only known at its end).
   */
  async line(text: string, pos: string, time?: number, canCut = true): Promise<void> {
    if (this.#closed) throw new FieldlinkError('INTERNAL', 'This collection already finished.');
    this.#writer ??= this.#store.create(this.#opts.boxId, this.#opts.source);
    await this.#writer.add(this.#redactor.line(text));
    this.#lastPos = pos;
    if (time !== undefined && Number.isFinite(time)) {
      this.#timeFrom ??= time;
      this.#timeTo = time;
    }
    if (canCut && this.#writer.full) await this.#commit(pos);
  }

  /**
   * Commits what is pending. `cursor` is where the source stands now (it may be past the last line:
   * a rotated file with nothing more, a journal with nothing new); it is stored with the segment or
   * on its own.
   */
  async finish(cursor?: string): Promise<SegmentRow[]> {
    try {
      if (this.#writer && this.#writer.lines > 0) await this.#commit(cursor ?? this.#lastPos!);
      else {
        this.#writer?.abort();
        this.#writer = null;
        if (cursor !== undefined && cursor !== this.#store.cursor(this.#opts.boxId, this.#opts.source)) this.#store.setCursor(this.#opts.boxId, this.#opts.source, cursor);
      }
      return this.segments;
    } finally {
      this.#close();
    }
  }

  /** Drops the segment being written; what was committed stays, and the cursor stands after it. */
  abort(): void {
    this.#writer?.abort();
    this.#writer = null;
    this.#redactor.takeCounts();
    this.#close();
  }

  async #commit(cursor: string): Promise<void> {
    const w = this.#writer!;
    this.#writer = null;
    const row = await w.commit({ rangeFrom: this.#from, rangeTo: this.#lastPos ?? cursor, cursor, timeFrom: this.#timeFrom, timeTo: this.#timeTo }, this.#redactor.takeCounts());
    this.#from = cursor;
    this.#timeFrom = undefined;
    this.#timeTo = undefined;
    this.segments.push(row);
    this.#opts.onSegment?.(row);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    busy.delete(this.#key);
  }
}
