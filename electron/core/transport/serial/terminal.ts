import { FieldlinkError } from '../../../../shared/errors.ts';
import type { SerialLink } from './link.ts';

/**
 * A person at the console (the Console view's xterm.js): raw bytes both ways, nothing framed or
 * cleaned, because a terminal renders escapes itself. It holds the port exclusively until detach();
 * the cable going away ends it with LINK_DOWN.
 */
export interface SerialTerminal {
  write(data: string | Uint8Array): Promise<void>;
  /** Console output as it arrives; returns its own unsubscribe. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Called once when the terminal ends: null after detach(), LINK_DOWN when the cable went. */
  onEnd(listener: (err: FieldlinkError | null) => void): () => void;
  /** Gives the port back to framed mode (the next exec logs in again). */
  detach(): Promise<void>;
  readonly attached: boolean;
}

/** Bytes a terminal may send in one write: a paste, not a file transfer. */
const MAX_WRITE = 1 << 20;

export function attachTerminal(link: SerialLink, onDetach: () => void): SerialTerminal {
  const dataListeners = new Set<(chunk: Uint8Array) => void>();
  const endListeners = new Set<(err: FieldlinkError | null) => void>();
  let attached = true;
  const end = (err: FieldlinkError | null) => {
    if (!attached) return;
    attached = false;
    link.rx.setTap(null);
    stopWatching();
    onDetach();
    for (const l of [...endListeners]) l(err);
  };
  link.rx.setTap((chunk) => {
    for (const l of [...dataListeners]) l(chunk);
  });
  const stopWatching = link.rx.onFailure((err) => end(err));

  return {
    get attached() {
      return attached;
    },
    async write(data) {
      if (!attached) throw new FieldlinkError('CONFLICT', 'The console terminal was closed.');
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      if (bytes.byteLength > MAX_WRITE) throw new FieldlinkError('BAD_REQUEST', 'Too much pasted at once (over 1 MiB).');
      await link.write(bytes);
    },
    onData(listener) {
      dataListeners.add(listener);
      return () => dataListeners.delete(listener);
    },
    onEnd(listener) {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
    async detach() {
      end(null);
    },
  };
}
