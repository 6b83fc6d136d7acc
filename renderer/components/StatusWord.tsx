import type { Label } from '../format/labels.ts';

/**
 * A status is a word with a dot, never a dot alone; the dot's shape also differs by tone
 * (circle ok, triangle warning, square bad, ring info, dash unknown) for colour-blind eyes and sunlight.
 */
export function StatusWord({ label, title }: { label: Label; title?: string }) {
  return (
    <span className={`status-word tone-${label.tone}`} title={title}>
      <Dot tone={label.tone} />
      <span>{label.word}</span>
    </span>
  );
}

export function Dot({ tone }: { tone: Label['tone'] }) {
  const shape =
    tone === 'ok' ? (
      <circle cx="6" cy="6" r="5" />
    ) : tone === 'warn' ? (
      <path d="M6 0.8L11.5 11H0.5z" />
    ) : tone === 'bad' ? (
      <rect x="1" y="1" width="10" height="10" rx="1" />
    ) : tone === 'info' ? (
      <circle cx="6" cy="6" r="4" fill="none" strokeWidth="2.4" />
    ) : (
      <rect x="1" y="4.5" width="10" height="3" rx="1.5" />
    );
  return (
    <svg className="dot" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" fill="currentColor" stroke="currentColor">
      {shape}
    </svg>
  );
}
