import fs from 'node:fs';
import { SerialPort } from 'serialport';

/** A technician's end of the console cable, through serialport like the app uses. */
export class Cable {
  readonly port: SerialPort;
  private buf = Buffer.alloc(0);

  private readonly link: string;
  private readonly device: string;

  private constructor(port: SerialPort, link: string, device: string) {
    this.port = port;
    this.link = link;
    this.device = device;
    port.on('data', (d: Buffer) => {
      // Bounded: a test never needs more than the last 1 MiB.
      this.buf = Buffer.concat([this.buf, d]);
      if (this.buf.length > 1 << 20) this.buf = this.buf.subarray(this.buf.length - (1 << 20));
    });
  }

  static async open(path: string, baudRate: number): Promise<Cable> {
    const device = fs.realpathSync(path);
    const port = new SerialPort({ path: device, baudRate, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    return new Cable(port, path, device);
  }

  get text(): string {
    return this.buf.toString('latin1');
  }

  get bytes(): Buffer {
    return this.buf;
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
  }

  write(data: string | Buffer): void {
    this.port.write(data);
  }

  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.text)) {
      if (Date.now() > end) throw new Error(`console: no ${re} within ${timeoutMs} ms; last output ${JSON.stringify(this.text.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.text;
  }

  /** Logs in at the getty prompt (pressing Enter first, as a technician does on a quiet console). */
  async login(password: string): Promise<void> {
    this.clear();
    this.write('\r');
    // A console keeps its session when the cable is pulled; log that one out first.
    const seen = await this.waitFor(/(login: |# )$/);
    if (/# $/.test(seen)) {
      this.clear();
      this.write('exit\r');
      await this.waitFor(/login: $/);
    }
    this.clear();
    this.write('root\r');
    await this.waitFor(/Password: ?$/);
    this.clear();
    this.write(`${password}\r`);
    await this.waitFor(/# $/);
    // A predictable prompt, no bracketed paste: the output checks below stay simple.
    this.clear();
    this.write("bind 'set enable-bracketed-paste off' 2>/dev/null; PS1='FLPROMPT# '\r");
    await this.waitFor(/FLPROMPT# $/);
  }

  async run(cmd: string, timeoutMs = 20_000): Promise<string> {
    this.clear();
    this.write(`${cmd}\r`);
    const out = await this.waitFor(/FLPROMPT# $/, timeoutMs);
    return out.slice(cmd.length + 2, out.length - 'FLPROMPT# '.length);
  }

  /**
   * Closing hangs up the lab's pty and the lab makes a fresh one behind the same by-id link (as a
   * USB adapter re-enumerates); waiting for it keeps the next open off the dying one.
   */
  async close(): Promise<void> {
    await new Promise<void>((res) => (this.port.isOpen ? this.port.close(() => res()) : res()));
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      let now: string | null = null;
      try {
        now = fs.realpathSync(this.link);
      } catch {
        now = null;
      }
      if (now !== null && now !== this.device) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
