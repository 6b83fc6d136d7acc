/*
 * Back-pressure toward a UI, the same for both front doors. Console output comes as fast as a box
 * prints it (a `cat` of a log, a boot flood); a window or tab that cannot keep up must not make the
 * core queue it without end. Each front door measures what it holds for one UI and, past one bound,
 * cuts rather than grows:
 * - the WebSocket (electron/web/session.ts): the socket's bufferedAmount; the socket is closed with
 *   CLOSE_SLOW_CONSUMER and the tab reconnects;
 * - Electron IPC (electron/ipc.ts): console output sent to a window and not yet acknowledged by its
 *   preload (which acks what it has handed to the page, see ACK_CHANNEL); the console session whose
 *   output no longer fits is ended with SLOW_CONSUMER_MESSAGE, since IPC itself cannot be dropped.
 */

/** What one front door may hold for one UI that is not taking it, before it cuts. */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/** Said when a console session is cut because its window could not keep up. */
export const SLOW_CONSUMER_MESSAGE =
  'The box sent output faster than this window could show it, so the session was cut to protect the app. Connect again; for long output, save it to a file on the box and download it.';

/**
 * The Electron preload's acknowledgement: the highest event sequence number it has handed to the
 * page. Transport-level flow control, like TCP's window under the WebSocket, not a contract call.
 */
export const ACK_CHANNEL = 'fieldlink:ack';

/** The preload acknowledges at once after this many events, else at the end of the current task. */
export const ACK_EVERY_EVENTS = 16;

/** Counts what was sent to one consumer and not yet acknowledged, by sequence number. */
export class SendWindow {
  readonly limit: number;
  #seq = 0;
  #queued = 0;
  #inFlight: Array<{ seq: number; bytes: number }> = [];
  #head = 0;

  constructor(limit = MAX_QUEUED_BYTES) {
    this.limit = limit;
  }

  get queued(): number {
    return this.#queued;
  }

  /** Whether `bytes` more fit under the bound. */
  admits(bytes: number): boolean {
    return this.#queued + bytes <= this.limit;
  }

  /** Records a send of `bytes`; returns its sequence number, for the consumer to acknowledge. */
  sent(bytes: number): number {
    this.#seq += 1;
    this.#queued += bytes;
    this.#inFlight.push({ seq: this.#seq, bytes });
    return this.#seq;
  }

  /** Everything up to `seq` was taken. Anything but a sequence number we sent is ignored. */
  taken(seq: unknown): void {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1 || seq > this.#seq) return;
    while (this.#head < this.#inFlight.length && this.#inFlight[this.#head]!.seq <= seq) this.#queued -= this.#inFlight[this.#head++]!.bytes;
    if (this.#head > 1024 && this.#head * 2 > this.#inFlight.length) {
      this.#inFlight = this.#inFlight.slice(this.#head);
      this.#head = 0;
    }
  }
}
