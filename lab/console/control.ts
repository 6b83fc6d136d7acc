import net from 'node:net';
import { FieldlinkError } from '../../shared/errors.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import { paths } from '../config.ts';
import type { ConsoleStatus } from './console.ts';

export type LabdRequest =
  { op: 'ping' } | { op: 'status' } | { op: 'noise'; seconds: number } | { op: 'unplug' | 'plug' | 'reboot'; box: string } | { op: 'kernel'; box: string; text: string };

export type LabdReply = { ok: true; consoles?: Record<string, ConsoleStatus & { path: string }> } | { ok: false; code: ErrorCode; message: string };

/** One request to the lab daemon over its unix socket. */
export function labd(req: LabdRequest, timeoutMs = 60_000): Promise<LabdReply & { ok: true }> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(paths.labdSock());
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new FieldlinkError('TIMEOUT', `The lab daemon did not answer ${req.op} within ${timeoutMs} ms.`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      sock.end();
      const r = JSON.parse(buf.slice(0, i)) as LabdReply;
      if (r.ok) resolve(r);
      else reject(new FieldlinkError(r.code, r.message));
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new FieldlinkError('CONFLICT', `The lab daemon is not running (${e.message}); is the lab up? Try fieldlink-lab down, then up.`));
    });
  });
}
