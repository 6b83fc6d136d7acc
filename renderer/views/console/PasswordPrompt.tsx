import { useEffect, useId, useRef, useState } from 'react';
import type { PasswordNeeded } from '../../../shared/api.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import type { Explained } from '../../errors.ts';
import { safeText } from '../../format/text.ts';

export const WRONG_PASSWORD = 'That password did not work. Check the label and try again.';
export const WRONG_REMEMBERED = 'The password remembered on this laptop did not work. Check the label and type it again.';

/**
 * The box password, asked for where the technician is, once no agent or key got in. The password
 * lives in this form's state only until it is sent with the one call that uses it; a wrong one
 * clears the field for a plain retry. `attempt` changes with every answer from the core.
 */
export function PasswordPrompt({
  problem,
  attempt,
  busy,
  onSubmit,
  onCancel,
}: {
  problem: PasswordNeeded;
  attempt: number;
  busy: boolean;
  onSubmit: (password: string, remember: boolean) => void;
  onCancel: () => void;
}) {
  const [password, setPassword] = useState('');
  const [shown, setShown] = useState(false);
  // A remembered password that failed is replaced by the next one that works, unless unticked.
  const [remember, setRemember] = useState(problem.remembered);
  const [empty, setEmpty] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  // Every answer (first ask or a refusal) starts with an empty, focused field.
  useEffect(() => {
    setPassword('');
    setEmpty(false);
    input.current?.focus();
  }, [attempt]);

  const where = problem.via === 'serial' ? 'the console (cable)' : 'SSH';
  const submit = () => {
    if (!password) {
      setEmpty(true);
      input.current?.focus();
      return;
    }
    onSubmit(password, remember);
  };
  const refusal = problem.wrong ? (problem.remembered ? WRONG_REMEMBERED : WRONG_PASSWORD) : null;

  return (
    <form
      className="password-prompt"
      role="dialog"
      aria-label="Box password"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) onCancel();
      }}
    >
      <h2>
        <Icon name="shield" /> Log in as {safeText(problem.user, 32)} over {where}
      </h2>
      <p className="muted">{problem.via === 'serial' ? 'The box’s console asks for the password.' : 'No SSH key or agent got in.'} Type the box password to log in.</p>
      {refusal ? (
        <p className="password-refused" role="alert">
          <Icon name="alert" /> {refusal}
        </p>
      ) : null}
      <div className="field">
        <label htmlFor={`${id}-pw`}>Password</label>
        <small id={`${id}-hint`} className="password-hint">
          It is on the box label.
        </small>
        <div className="password-row">
          <input
            ref={input}
            id={`${id}-pw`}
            type={shown ? 'text' : 'password'}
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setEmpty(false);
            }}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            maxLength={1024}
            disabled={busy}
            aria-invalid={problem.wrong || empty}
            aria-describedby={`${id}-hint`}
          />
          <button
            type="button"
            className="btn"
            onClick={() => setShown((v) => !v)}
            aria-pressed={shown}
            aria-label={shown ? 'Hide the password' : 'Show the password'}
            disabled={busy}
          >
            {shown ? 'Hide' : 'Show'}
          </button>
        </div>
        {empty ? <small className="field-error">Type the password first.</small> : null}
      </div>
      <label className="check-row">
        <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} disabled={busy} />
        <span>Remember on this laptop</span>
      </label>
      <div className="actions">
        <button type="submit" className="btn primary" disabled={busy}>
          <Icon name="check" /> {busy ? 'Logging in…' : 'Log in'}
        </button>
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export type KeyOfferState =
  { kind: 'offer' } | { kind: 'installing' } | { kind: 'done'; added: boolean; verified: boolean | null; fingerprint: string } | { kind: 'failed'; error: Explained };

/** After a password login: one step so the next connection needs no password. */
export function InstallKeyOffer({ state, onInstall, onDismiss }: { state: KeyOfferState; onInstall: () => void; onDismiss: () => void }) {
  if (state.kind === 'failed') {
    return (
      <ErrorNotice error={state.error} onDismiss={onDismiss}>
        <div className="actions">
          <button type="button" className="btn" onClick={onInstall}>
            <Icon name="refresh" /> Try again
          </button>
        </div>
      </ErrorNotice>
    );
  }
  if (state.kind === 'done') {
    const text =
      state.verified === false
        ? 'The technician key is on the box, but the box still does not accept it (its SSH may read keys from elsewhere, or allow passwords only). The password is still needed; ask the site lead.'
        : `${state.added ? 'The technician key is installed on this box' : 'The technician key was already on this box'}${state.verified ? ' and works' : ''}: next time SSH needs no password.`;
    return (
      <div className={`key-offer ${state.verified === false ? 'warn' : 'done'}`} role="status">
        <Icon name={state.verified === false ? 'alert' : 'check'} />
        <span className="key-offer-text">
          {text}
          <span className="muted mono key-offer-fp">{state.fingerprint}</span>
        </span>
        <button type="button" className="btn ghost" onClick={onDismiss}>
          OK
        </button>
      </div>
    );
  }
  return (
    <div className="key-offer" role="region" aria-label="Technician key">
      <Icon name="shield" />
      <span className="key-offer-text">Install the technician key on this box so you need no password next time.</span>
      <button type="button" className="btn primary" onClick={onInstall} disabled={state.kind === 'installing'}>
        {state.kind === 'installing' ? 'Installing…' : 'Install key'}
      </button>
      <button type="button" className="btn ghost" onClick={onDismiss} disabled={state.kind === 'installing'}>
        Not now
      </button>
    </div>
  );
}
