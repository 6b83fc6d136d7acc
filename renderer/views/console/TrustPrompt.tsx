import { useState } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { absoluteTime } from '../../format/time.ts';
import { safeText } from '../../format/text.ts';
import { pinSourceText, sameFingerprint, type OfferedKey, type TrustProblem } from './trust.ts';

/**
 * The host-key question, before any credential goes to the box. An unknown key can be trusted (on
 * first use, or after checking it against the label); a changed key cannot be accepted here at all.
 */
export function TrustPrompt({
  problem,
  busy,
  onTrust,
  onCancel,
}: {
  problem: TrustProblem;
  busy: boolean;
  /** `typed` is what the technician typed: the core pins as "typed" only when it matches. */
  onTrust: (key: OfferedKey, source: 'first-use' | 'typed', typed?: string) => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const where = `${safeText(problem.host, 100)}${problem.port !== 22 ? `:${problem.port}` : ''}`;
  const key = problem.offered[0]!;

  if (problem.kind === 'changed') {
    return (
      <section className="trust-prompt danger" role="alertdialog" aria-label="Host key changed">
        <h2>
          <Icon name="alert" /> The key of {where} has changed. Nothing was sent to it.
        </h2>
        <p>The box now shows a different key than the one Fieldlink pinned. Either the box was reinstalled, or something on the network is pretending to be it.</p>
        <KeyList title="The box now offers" keys={problem.offered} />
        {problem.pinned.length > 0 ? (
          <div className="key-list">
            <h3>Pinned before</h3>
            <ul>
              {problem.pinned.map((p) => (
                <li key={`${p.keyType}${p.fingerprint}`}>
                  <code className="fingerprint">{p.fingerprint}</code> <span className="muted">{safeText(p.keyType, 64)}</span>
                  <div className="muted">
                    {pinSourceText(p.source)}
                    {p.pinnedAt ? (
                      <>
                        {' '}
                        on <span title={p.pinnedAt}>{absoluteTime(p.pinnedAt)}</span>
                      </>
                    ) : null}
                  </div>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <h3>What to do next</h3>
        <ol>
          <li>Do not log in to this box over the LAN for now.</li>
          <li>Plug in the USB-serial cable and open the console over the cable: the key read there is the box's real key.</li>
          <li>If the site lead confirms the box was reinstalled, pin its new key over the cable; the old pin is then replaced.</li>
        </ol>
        <div className="actions">
          <button type="button" className="btn" onClick={onCancel}>
            Close
          </button>
        </div>
      </section>
    );
  }

  // "I checked it" means the technician typed the fingerprint and it matched: never an empty field.
  const matches = sameFingerprint(typed, key.fingerprint);
  // Said as soon as a whole fingerprint is there (or the field is left), not only after a click.
  const whole =
    typed
      .replace(/\s+/g, '')
      .replace(/^SHA256:/i, '')
      .replace(/=+$/, '').length >= 43;
  const wrong = !matches && typed.trim() !== '' && (whole || mismatch);
  const check = () => {
    if (!matches) {
      setMismatch(typed.trim() !== '');
      return;
    }
    onTrust(key, 'typed', typed);
  };
  return (
    <section className="trust-prompt" role="alertdialog" aria-label="Unknown host key">
      <h2>
        <Icon name="shield" /> First connection to {where}: check its key
      </h2>
      <p>Fieldlink has not seen this box before. Compare the fingerprint below with the one on the box's label (or its screen) before you trust it.</p>
      <KeyList title="The box offers" keys={problem.offered} />
      <label className="field">
        <span>Fingerprint from the label (type it to mark the key as checked)</span>
        <input
          value={typed}
          onChange={(e) => {
            setTyped(e.target.value);
            setMismatch(false);
          }}
          onBlur={() => setMismatch(typed.trim() !== '' && !matches)}
          placeholder="SHA256:…"
          spellCheck={false}
          aria-invalid={wrong}
        />
        {wrong ? <small className="field-error">That does not match what the box offers. Do not trust it; check the label again or use the cable.</small> : null}
      </label>
      <div className="actions">
        <button type="button" className="btn primary" disabled={busy || !matches} onClick={check} title={matches ? undefined : 'Type the fingerprint from the label first'}>
          <Icon name="check" /> I checked it
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => onTrust(key, 'first-use')}>
          Trust on first use
        </button>
        <button type="button" className="btn ghost" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
      <p className="muted">“Trust on first use” is marked as the weakest kind of trust in the Fleet, so it can be checked later.</p>
    </section>
  );
}

function KeyList({ title, keys }: { title: string; keys: OfferedKey[] }) {
  return (
    <div className="key-list">
      <h3>{title}</h3>
      <ul>
        {keys.map((k) => (
          <li key={`${k.keyType}${k.fingerprint}`}>
            <code className="fingerprint">{k.fingerprint}</code> <span className="muted">{safeText(k.keyType, 64)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
