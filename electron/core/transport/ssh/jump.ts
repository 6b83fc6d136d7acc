import type { ConnectSshOptions } from './connect.ts';
import { connectSsh } from './connect.ts';
import type { SshShell } from './sshshell.ts';

/** Everything needed to open the connection: the target's options and the ProxyJump hops before it. */
export interface ResolvedSsh {
  target: Omit<ConnectSshOptions, 'signal' | 'sock'>;
  jumps: Array<Omit<ConnectSshOptions, 'signal' | 'sock'>>;
}

/** Opens the connection through its ProxyJump hops (each verified against its own pins); closing the shell closes the hops. */
export async function connectResolved(r: ResolvedSsh, signal?: AbortSignal): Promise<SshShell> {
  const hops: SshShell[] = [];
  try {
    for (const j of r.jumps) {
      const prev = hops.at(-1);
      const sock = prev ? await prev.forwardOut(j.host, j.port ?? 22) : undefined;
      hops.push(await connectSsh({ ...j, sock, signal }));
    }
    const last = hops.at(-1);
    const sock = last ? await last.forwardOut(r.target.host, r.target.port ?? 22) : undefined;
    const shell = await connectSsh({ ...r.target, sock, signal });
    if (hops.length) shell.onDrop(() => void Promise.all(hops.map((h) => h.close())));
    const close = shell.close.bind(shell);
    shell.close = async () => {
      await close();
      await Promise.all(hops.reverse().map((h) => h.close()));
    };
    return shell;
  } catch (err) {
    await Promise.all(hops.map((h) => h.close()));
    throw err;
  }
}
