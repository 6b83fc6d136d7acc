import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useCallback, useEffect, useRef, useState } from 'react';
import { allowedExternalUrl } from '../../../shared/links.ts';
import type { ConsoleSession } from '../../../shared/model.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import type { PasswordNeeded } from '../../../shared/api.ts';
import { explain, passwordProblemOf, type Explained } from '../../errors.ts';
import type { Label } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { appStore, consoleSinks, useApp } from '../../stores/index.ts';
import type { ConsoleTarget } from './targets.ts';
import { trustProblemOf, withPinSources, type OfferedKey, type TrustProblem } from './trust.ts';
import { TrustPrompt } from './TrustPrompt.tsx';
import { InstallKeyOffer, PasswordPrompt, type KeyOfferState } from './PasswordPrompt.tsx';
import { WriteQueue } from './writeQueue.ts';

type Phase =
  | { kind: 'idle' }
  | { kind: 'opening' }
  | { kind: 'open'; sessionId: string }
  | { kind: 'ended'; sessionId: string }
  | { kind: 'failed'; error: Explained }
  | { kind: 'trust'; problem: TrustProblem }
  | { kind: 'password'; problem: PasswordNeeded; attempt: number; busy: boolean };

/** The password the technician typed, for one console.open only. */
interface Credentials {
  password: string;
  remember: boolean;
}

/** Enough history to scroll back through a boot log; bounded so a chatty box cannot eat the laptop. */
const SCROLLBACK_LINES = 5000;
const RESIZE_SETTLE_MS = 150;

/** A real terminal on a box, with its connection state, reconnect, copy/paste and the trust prompt. */
export function ConsolePanel({ targets, boxId }: { targets: ConsoleTarget[]; boxId?: string }) {
  const client = useApp((s) => s.client);
  const theme = useApp((s) => s.settings?.theme ?? 'light');
  const [choice, setChoice] = useState(0);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [pinning, setPinning] = useState(false);
  const [keyOffer, setKeyOffer] = useState<KeyOfferState | null>(null);
  const target = targets[Math.min(choice, targets.length - 1)]!;
  const session = useApp((s) => (phase.kind === 'open' || phase.kind === 'ended' ? s.sessions[phase.sessionId] : undefined));

  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);
  const live = useRef<{ sessionId: string; queue: WriteQueue; detach: () => void } | null>(null);
  const generation = useRef(0);
  /**
   * Settles once every earlier open and close of this panel is over. A serial port has one holder:
   * a new open waits for the old session to let go, or it would be refused as already in use.
   */
  const settling = useRef<Promise<unknown>>(Promise.resolve());

  const closeLive = useCallback(() => {
    const l = live.current;
    live.current = null;
    if (!l) return;
    l.queue.close();
    l.detach();
    consoleSinks.forget(l.sessionId);
    appStore.getState().dropSession(l.sessionId);
    settling.current = Promise.all([
      settling.current,
      client.call('console.close', { sessionId: l.sessionId }).catch(() => {
        // Closing a session that already ended is fine; there is nothing left to tell the technician.
      }),
    ]);
  }, [client]);

  const connect = useCallback(
    async (creds?: Credentials, keepOffer = false) => {
      const t = term.current;
      if (!t) return;
      closeLive();
      const gen = ++generation.current;
      if (!keepOffer) setKeyOffer(null);
      // A retry keeps the password form on screen (busy), so a refusal lands back in it.
      setPhase((p) => (creds && p.kind === 'password' ? { ...p, busy: true } : { kind: 'opening' }));
      const before = settling.current;
      let settled!: () => void;
      settling.current = new Promise<void>((resolve) => (settled = resolve));
      try {
        await before;
        if (gen !== generation.current) return;
        await connectNow(t, gen, creds, keepOffer);
      } finally {
        settled();
      }
    },
    [client, closeLive, target.target],
  );

  const connectNow = async (t: Terminal, gen: number, creds: Credentials | undefined, keepOffer: boolean) => {
    try {
      fit.current?.fit();
    } catch {
      // Not laid out yet (hidden tab): the terminal's default size is used until the next resize.
    }
    try {
      const s = await client.call('console.open', { target: target.target, cols: t.cols, rows: t.rows, ...(creds ? { password: creds.password, remember: creds.remember } : {}) });
      if (gen !== generation.current) {
        await client.call('console.close', { sessionId: s.sessionId }).catch(() => {});
        return;
      }
      appStore.getState().setSession(s);
      t.reset();
      const queue = new WriteQueue(
        (data) => client.call('console.write', { sessionId: s.sessionId, data }),
        (err) => appStore.getState().notify(err),
      );
      const detach = consoleSinks.attach(s.sessionId, (data) => t.write(data));
      live.current = { sessionId: s.sessionId, queue, detach };
      setPhase({ kind: 'open', sessionId: s.sessionId });
      if (s.passwordLogin && !keepOffer) setKeyOffer({ kind: 'offer' });
      t.focus();
    } catch (err) {
      if (gen !== generation.current) return;
      let problem = trustProblemOf(err);
      if (problem?.kind === 'changed') {
        // Say where the old pin came from; without the table the prompt still shows the fingerprints.
        problem = withPinSources(problem, await client.call('trust.list', {}).catch(() => []));
        if (gen !== generation.current) return;
      }
      const password = problem ? null : passwordProblemOf(err);
      if (password) {
        setPhase((p) => ({ kind: 'password', problem: password, attempt: p.kind === 'password' ? p.attempt + 1 : 0, busy: false }));
        return;
      }
      setPhase(problem ? { kind: 'trust', problem } : { kind: 'failed', error: explain(err, { NOT_AVAILABLE_YET: meanwhile(target) }) });
    }
  };

  // The terminal lives as long as the panel; sessions come and go inside it.
  useEffect(() => {
    const el = host.current!;
    const t = new Terminal({
      scrollback: SCROLLBACK_LINES,
      fontFamily: 'ui-monospace, "Cascadia Mono", Consolas, Menlo, "DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: 15,
      cursorBlink: true,
      convertEol: false,
      allowProposedApi: false,
      // Links the box prints (OSC 8) open only if the app's https allowlist says so; xterm's default
      // would offer any URL, and no WebLinksAddon turns plain text into links.
      linkHandler: {
        allowNonHttpProtocols: false,
        activate: (_event, uri) => {
          const href = allowedExternalUrl(uri);
          if (href) window.open(href, '_blank', 'noopener,noreferrer');
        },
      },
    });
    const f = new FitAddon();
    t.loadAddon(f);
    t.open(el);
    term.current = t;
    fit.current = f;

    const onData = t.onData((d) => {
      const l = live.current;
      if (l && !l.queue.push(d)) appStore.getState().notify(explain({ code: 'CONFLICT', message: 'Too much is waiting to be sent to the box; the last paste was dropped.' }));
    });
    let timer: ReturnType<typeof setTimeout> | null = null;
    const onResize = t.onResize(({ cols, rows }) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        const l = live.current;
        if (l) client.call('console.resize', { sessionId: l.sessionId, cols, rows }).catch(() => {});
      }, RESIZE_SETTLE_MS);
    });
    // Ctrl+Shift+C / Ctrl+Shift+V copy and paste, as in every Linux terminal; plain Ctrl+C stays the shell's.
    t.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        void copySelection(t);
        return false;
      }
      if (e.code === 'KeyV') {
        void pasteInto(t);
        return false;
      }
      return true;
    });
    const observer = new ResizeObserver(() => {
      try {
        f.fit();
      } catch {
        // Hidden or zero-sized for a moment; the next observation fits it.
      }
    });
    observer.observe(el);
    return () => {
      generation.current++;
      observer.disconnect();
      if (timer) clearTimeout(timer);
      onData.dispose();
      onResize.dispose();
      closeLive();
      t.dispose();
      term.current = null;
      fit.current = null;
    };
    // Built once per panel: the client and the close helper are stable for its life.
  }, [client, closeLive]);

  // Connect when the panel opens and again whenever the technician picks another link.
  useEffect(() => {
    void connect();
  }, [connect]);

  useEffect(() => {
    const t = term.current;
    if (t) t.options.theme = terminalTheme();
  }, [theme]);

  // A session that ends on its own (box rebooted, cable pulled) stays on screen with its reason.
  useEffect(() => {
    if (phase.kind === 'open' && session && (session.state === 'closed' || session.state === 'error')) setPhase({ kind: 'ended', sessionId: phase.sessionId });
  }, [phase, session]);

  const trust = async (key: OfferedKey, source: 'first-use' | 'typed', typed?: string) => {
    if (phase.kind !== 'trust') return;
    setPinning(true);
    try {
      await client.call('trust.pin', { host: phase.problem.host, port: phase.problem.port, keyType: key.keyType, fingerprint: key.fingerprint, source, typed, boxId });
      await connect();
    } catch (err) {
      setPhase({ kind: 'failed', error: explain(err) });
    } finally {
      setPinning(false);
    }
  };

  /**
   * The technician key onto the box the password just opened. Over SSH the pooled connection carries
   * it while the terminal stays; a serial port is held by the terminal, so it is let go for the
   * install and the console opened again (the box's shell is still logged in).
   */
  const installKey = async () => {
    const serial = session?.via === 'serial' || target.via === 'serial';
    setKeyOffer({ kind: 'installing' });
    if (serial) {
      generation.current++;
      closeLive();
      setPhase({ kind: 'opening' });
      await settling.current;
    }
    try {
      const r = await client.call('keys.install', { target: target.target });
      setKeyOffer({ kind: 'done', added: r.added, verified: r.verified, fingerprint: r.fingerprint });
    } catch (err) {
      setKeyOffer({ kind: 'failed', error: explain(err) });
    }
    if (serial) await connect(undefined, true);
  };

  const state = stateLabel(phase, session);
  return (
    <div className="console-panel">
      <div className="console-bar">
        <StatusWord label={state} />
        <span className="muted console-target" title={target.target}>
          {safeText(target.label, 80)}
        </span>
        {targets.length > 1 ? (
          <label className="inline-field">
            <span>Link</span>
            <select value={choice} onChange={(e) => setChoice(Number(e.target.value))}>
              {targets.map((t, i) => (
                <option key={t.target} value={i}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <span className="spacer" />
        <button type="button" className="btn" onClick={() => term.current && void copySelection(term.current)} title="Copy the selection (Ctrl+Shift+C)">
          <Icon name="copy" /> Copy
        </button>
        <button type="button" className="btn" onClick={() => term.current && void pasteInto(term.current)} disabled={phase.kind !== 'open'} title="Paste (Ctrl+Shift+V)">
          <Icon name="paste" /> Paste
        </button>
        <button type="button" className="btn primary" onClick={() => void connect()} disabled={phase.kind === 'opening' || (phase.kind === 'password' && phase.busy)}>
          <Icon name="refresh" /> {phase.kind === 'open' ? 'Reconnect' : 'Connect'}
        </button>
      </div>
      {phase.kind === 'failed' ? <ErrorNotice error={phase.error} /> : null}
      {phase.kind === 'ended' && session?.message ? <p className="console-ended">{safeText(session.message, 400)}</p> : null}
      {phase.kind === 'trust' ? (
        <TrustPrompt problem={phase.problem} busy={pinning} onTrust={(k, s, typed) => void trust(k, s, typed)} onCancel={() => setPhase({ kind: 'idle' })} />
      ) : null}
      {phase.kind === 'password' ? (
        <PasswordPrompt
          problem={phase.problem}
          attempt={phase.attempt}
          busy={phase.busy}
          onSubmit={(password, remember) => void connect({ password, remember })}
          onCancel={() => {
            generation.current++;
            setPhase({ kind: 'idle' });
          }}
        />
      ) : null}
      {keyOffer ? <InstallKeyOffer state={keyOffer} onInstall={() => void installKey()} onDismiss={() => setKeyOffer(null)} /> : null}
      <div className="terminal-wrap">
        <div className="terminal-host" ref={host} aria-label="Terminal" />
        {phase.kind !== 'open' ? (
          <div className="terminal-overlay">
            <span>{overlayText(phase)}</span>
          </div>
        ) : null}
      </div>
    </div>
  );
}

function stateLabel(phase: Phase, session: ConsoleSession | undefined): Label {
  switch (phase.kind) {
    case 'idle':
      return { word: 'Not connected', tone: 'neutral' };
    case 'opening':
      return { word: 'Connecting…', tone: 'info' };
    case 'open':
      return session?.state === 'connecting' ? { word: 'Connecting…', tone: 'info' } : { word: `Connected over ${session?.via === 'serial' ? 'cable' : 'LAN'}`, tone: 'ok' };
    case 'ended':
      return session?.state === 'error' ? { word: 'Connection lost', tone: 'bad' } : { word: 'Session ended', tone: 'neutral' };
    case 'failed':
      return { word: 'Could not connect', tone: 'bad' };
    case 'trust':
      return phase.problem.kind === 'changed' ? { word: 'Refused: key changed', tone: 'bad' } : { word: 'Waiting for your trust decision', tone: 'warn' };
    case 'password':
      return phase.busy ? { word: 'Logging in…', tone: 'info' } : { word: 'Waiting for the password', tone: 'warn' };
  }
}

/** Until the core's terminal exists, the most useful next step names the tool to use instead. */
function meanwhile(t: ConsoleTarget): string {
  if (t.via === 'serial') return `Meanwhile, open ${t.target.slice('serial:'.length)} at 115200 baud with a serial terminal program (PuTTY, screen, minicom).`;
  if (t.via === 'ssh') return `Meanwhile, use an SSH client: ssh ${t.target}`;
  return 'Meanwhile, use an SSH client or a serial terminal program.';
}

function overlayText(phase: Phase): string {
  switch (phase.kind) {
    case 'opening':
      return 'Connecting…';
    case 'ended':
      return 'The session ended. Press Connect to open a new one.';
    case 'trust':
      return phase.problem.kind === 'changed' ? 'Not connected: the box’s key changed.' : 'Waiting for your decision about the box’s key.';
    case 'password':
      return phase.busy ? 'Logging in…' : 'Waiting for the box password.';
    default:
      return 'Not connected. Press Connect to try again.';
  }
}

function terminalTheme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { background: v('--term-bg', '#111418'), foreground: v('--term-fg', '#e8eaed'), cursor: v('--term-fg', '#e8eaed'), selectionBackground: v('--term-sel', '#3a5a8a') };
}

async function copySelection(t: Terminal): Promise<void> {
  const text = t.getSelection();
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    appStore.getState().notify(explain({ code: 'INTERNAL', message: `Could not copy: ${err instanceof Error ? err.message : 'the clipboard refused'}.` }));
  }
}

async function pasteInto(t: Terminal): Promise<void> {
  try {
    const text = await navigator.clipboard.readText();
    if (text) t.paste(text);
  } catch {
    appStore.getState().notify(explain({ code: 'INTERNAL', message: 'Could not read the clipboard. Allow clipboard access, or paste with Ctrl+Shift+V.' }));
  }
}
