/**
 * The one way Fieldlink runs things on a box, whatever carries it: the SSH shell (ssh2 exec + SFTP)
 * or the serial shell (console login automation, framed commands, chunked transfer). Provisioning,
 * health over serial and log collection are written against this interface only.
 */
export interface ExecOptions {
  /**
   * Bytes fed to the command's standard input, then closed. The only way a secret (a password, a
   * join token, a collector token) reaches a command: see Shell.exec.
   */
  stdin?: Uint8Array | string;
  /** Kill the command (really, on the box) after this long; rejects with TIMEOUT. */
  timeoutMs?: number;
  /** Cancel: the remote process is stopped and the call rejects with ABORTED. */
  signal?: AbortSignal;
  /** Keep at most this many bytes of stdout and of stderr (the tail is kept); default 16 MiB. */
  maxOutputBytes?: number;
  /** Streamed output as it arrives (already bounded by the caller's own handling). */
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
}

export interface ExecResult {
  /** Exit status; null when the command died of a signal. */
  code: number | null;
  /** The signal that ended the command, if any (e.g. 'TERM'). */
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** True when output went over maxOutputBytes and the head was dropped. */
  truncated: boolean;
}

export interface TransferOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Called with bytes done and total as the transfer moves. */
  onProgress?: (done: number, total: number) => void;
}

export interface Shell {
  /** 'ssh' or 'serial': how the technician sees the link ("Live over LAN" / "Live over cable"). */
  readonly kind: 'ssh' | 'serial';
  /** A human label for the other end, e.g. root@10.77.0.11:22 or /dev/serial/by-id/… */
  readonly target: string;
  /**
   * Runs `command` on the box. Secrets go through `opts.stdin`, never the command string: the
   * command is visible on the box (ps, /proc, the console's scrollback) and is the kind of thing an
   * error or a log line might show. Read them on the box with `read -r TOKEN` or `cat`, e.g.
   * `exec('k3s agent --token-file /dev/stdin', { stdin: token })`. Errors never carry the command
   * text either way (a timeout, a drop or a failed channel says where, not what).
   */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Writes bytes to `path` on the box (atomically: temp file, then rename) and checks sha256 there. */
  put(path: string, data: Uint8Array, mode?: number, opts?: TransferOptions): Promise<void>;
  /** Reads a file from the box, checked against sha256 computed on the box. */
  get(path: string, opts?: TransferOptions): Promise<Uint8Array>;
  close(): Promise<void>;
}
