import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { App } from '../../electron/core/app.ts';
import { createDispatch, createHandlers, type Handlers } from '../../electron/core/rpc/index.ts';
import { connectSsh, type SshShell, type Terminal } from '../../electron/core/transport/ssh/index.ts';
import { parseTarget } from '../../electron/core/transport/target.ts';
import { trustPolicy } from '../../electron/core/trust/index.ts';
import { FieldlinkError } from '../../shared/errors.ts';

/**
 * The console.* calls for the Console e2e test, built only from the core's real parts: the SSH
 * transport (ssh2 against a real OpenSSH sshd), the trust policy in strict mode (unknown and changed
 * keys are refused before any credential is sent, with the details the trust prompt shows), and the
 * event bus. The core answers NOT_AVAILABLE_YET for these calls until the lead wires its own; this
 * lets the UI's terminal, resize, reconnect and trust prompt be proven against a real shell now.
 */
export function attachSshConsole(app: App, login: { password: string }): () => Promise<void> {
  const sessions = new Map<string, { shell: SshShell; term: Terminal }>();
  const original = app.dispatch;

  const open: Handlers['console.open'] = async ({ target, cols, rows }) => {
    const t = parseTarget(target, (n) => app.inventory.find(n));
    if (t.kind !== 'ssh') throw new FieldlinkError('NOT_AVAILABLE_YET', 'This test console speaks SSH only.');
    const port = t.port ?? 22;
    const shell = await connectSsh({
      host: t.host,
      port,
      user: t.user,
      agent: '',
      identityFiles: [],
      password: async () => login.password,
      timeoutMs: 20_000,
      keepaliveMs: 0,
      trust: trustPolicy({ store: app.trust, audit: app.audit, host: t.host, port, mode: 'strict', boxId: t.boxId }),
    });
    const term = await shell.openTerminal({ cols, rows });
    const sessionId = randomUUID();
    sessions.set(sessionId, { shell, term });
    const utf8 = new StringDecoder('utf8');
    term.stream.on('data', (chunk: Buffer) => app.bus.emit('console.data', { sessionId, data: utf8.write(chunk) }));
    term.stream.on('close', () => {
      sessions.delete(sessionId);
      app.bus.emit('console.state', { sessionId, target, via: 'ssh', state: 'closed', message: 'The shell on the box ended.' });
      void shell.close();
    });
    return { sessionId, target, via: 'ssh', state: 'open', message: null };
  };

  const get = (id: string) => {
    const s = sessions.get(id);
    if (!s) throw new FieldlinkError('NOT_FOUND', 'That console session has ended.');
    return s;
  };

  const handlers: Handlers = {
    ...createHandlers(app),
    'console.open': open,
    'console.write': ({ sessionId, data }) => {
      get(sessionId).term.stream.write(data);
      return {};
    },
    'console.resize': ({ sessionId, cols, rows }) => {
      get(sessionId).term.resize(cols, rows);
      return {};
    },
    'console.close': ({ sessionId }) => {
      const s = sessions.get(sessionId);
      sessions.delete(sessionId);
      s?.term.stream.end();
      void s?.shell.close();
      return {};
    },
  };
  (app as { dispatch: App['dispatch'] }).dispatch = createDispatch(handlers, app.log);

  return async () => {
    (app as { dispatch: App['dispatch'] }).dispatch = original;
    await Promise.all([...sessions.values()].map((s) => s.shell.close()));
    sessions.clear();
  };
}
