// Test services for the collector at scale: an S3-compatible server (s3rver, see s3-server.ts) and
// Debian's redis-server, each a child process on 127.0.0.1 with a random port and a temp folder,
// stopped by its pid. Nothing listens beyond loopback.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Service {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The redis-server binary, or undefined when it is not installed (`apt-get install redis-server`). */
export function redisServerPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** Resolves with the first stdout line that matches, or rejects with the output when the child exits or 20 s pass. */
function waitFor(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`${what} did not start in 20 s: ${out.slice(-2000)}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 1 << 16) out = out.slice(-(1 << 15));
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

export async function startS3(dir: string, bucket: string): Promise<Service> {
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(import.meta.dirname, 's3-server.ts');
  const child = spawn(process.execPath, [script, dir, bucket], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitFor(child, /\{"port":(\d+)\}/, 's3rver');
  return { url: `http://127.0.0.1:${m[1]}`, pid: child.pid!, child, stop: stopper(child) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(dir: string): Promise<Service> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed: apt-get install -y redis-server');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  // No persistence, a memory cap, loopback only: a scratch Redis that dies with the test.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory', '64mb', '--daemonize', 'no'];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(child, /Ready to accept connections/, 'redis-server');
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, child, stop: stopper(child) };
}
