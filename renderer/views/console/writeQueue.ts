/** console.write carries at most 1 MiB per call (the contract's limit); stay well under it. */
export const MAX_WRITE_CHARS = 64 * 1024;
/** More than this waiting to go out means the link is stuck; refuse rather than grow without end. */
export const MAX_QUEUED_CHARS = 4 * 1024 * 1024;

/**
 * Keystrokes and pastes for one console session, sent in order with at most one call in flight.
 * Whatever is typed while a call is out is sent as one piece when it returns, so fast typing over
 * a slow link costs one round trip per batch, not per key.
 */
export class WriteQueue {
  readonly #send: (data: string) => Promise<unknown>;
  readonly #onError: (err: unknown) => void;
  #queued = '';
  #busy = false;
  #closed = false;

  constructor(send: (data: string) => Promise<unknown>, onError: (err: unknown) => void) {
    this.#send = send;
    this.#onError = onError;
  }

  /** False when the data was dropped because too much is already waiting (the caller says so). */
  push(data: string): boolean {
    if (this.#closed) return false;
    if (this.#queued.length + data.length > MAX_QUEUED_CHARS) return false;
    this.#queued += data;
    if (!this.#busy) void this.#pump();
    return true;
  }

  get queuedChars(): number {
    return this.#queued.length;
  }

  close(): void {
    this.#closed = true;
    this.#queued = '';
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#queued && !this.#closed) {
        const piece = this.#queued.slice(0, MAX_WRITE_CHARS);
        this.#queued = this.#queued.slice(piece.length);
        try {
          await this.#send(piece);
        } catch (err) {
          // The session is gone or broken: what was typed after this cannot arrive in order either.
          this.#queued = '';
          this.#closed = true;
          this.#onError(err);
        }
      }
    } finally {
      this.#busy = false;
    }
  }
}
