import { FieldlinkError } from '../../../shared/errors.ts';
import type { Terminal as SshTerminal } from '../transport/ssh/index.ts';
import type { SerialShell, SerialTerminal } from '../transport/serial/index.ts';
import type { TerminalLink } from './session.ts';

/** An SSH PTY channel as a console link. `release` returns the pooled connection when the terminal ends. */
export function sshTerminalLink(t: SshTerminal, release: () => void): TerminalLink {
  let ended = false;
  const endListeners: ((err: FieldlinkError | null) => void)[] = [];
  const end = (err: FieldlinkError | null) => {
    if (ended) return;
    ended = true;
    release();
    for (const l of endListeners) l(err);
  };
  t.stream.on('close', () => end(null));
  t.stream.on('error', (err: Error) => end(new FieldlinkError('LINK_DOWN', `The SSH terminal dropped: ${err.message}`)));
  return {
    via: 'ssh',
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (ended) return reject(new FieldlinkError('LINK_DOWN', 'The SSH terminal has ended.'));
        t.stream.write(data, (err) => (err ? reject(new FieldlinkError('LINK_DOWN', err.message)) : resolve()));
      }),
    resize: (cols, rows) => t.resize(cols, rows),
    onData: (listener) => void t.stream.on('data', (chunk: Buffer) => listener(chunk)),
    onEnd: (listener) => void endListeners.push(listener),
    close: async () => {
      t.stream.end();
      end(null);
    },
  };
}

/**
 * A serial console handed to a person. A serial line carries no window size, so resize only matters
 * to programs that ask the tty (the technician can `stty cols`); closing gives the port back.
 */
export function serialTerminalLink(shell: SerialShell, t: SerialTerminal): TerminalLink {
  return {
    via: 'serial',
    write: (data) => t.write(data),
    resize: () => {},
    onData: (listener) => void t.onData(listener),
    onEnd: (listener) => void t.onEnd(listener),
    close: async () => {
      await t.detach();
      await shell.close();
    },
  };
}
