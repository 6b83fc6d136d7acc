import type { ReactNode } from 'react';
import type { Explained } from '../errors.ts';
import { safeText } from '../format/text.ts';
import { Icon } from './Icon.tsx';

/** Any typed error, shown the same way everywhere: what happened, what to do next, and the core's detail. */
export function ErrorNotice({ error, onDismiss, children }: { error: Explained; onDismiss?: () => void; children?: ReactNode }) {
  return (
    <div className="error-notice" role="alert" data-code={error.code}>
      <Icon name="alert" />
      <div className="error-body">
        <p className="error-sentence">{error.sentence}</p>
        {error.detail ? <p className="error-detail">{safeText(error.detail, 600)}</p> : null}
        <p className="error-next">
          <strong>Next: </strong>
          {error.next}
        </p>
        {children}
      </div>
      {onDismiss ? (
        <button type="button" className="btn ghost icon-only" onClick={onDismiss} aria-label="Dismiss">
          <Icon name="close" />
        </button>
      ) : null}
    </div>
  );
}
