import { useMemo, useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Icon } from '../../components/Icon.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import { reachLabel } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { sortForFleet } from '../../stores/selectors.ts';
import { useApp } from '../../stores/index.ts';
import { LazyConsolePanel as ConsolePanel } from './LazyConsolePanel.tsx';
import { isPlausibleTarget, targetsFor, type ConsoleTarget } from './targets.ts';

const LIST_LIMIT = 50;

/** A shell on any box: pick one from the inventory, or type an address or serial port. */
export function ConsoleView({ target }: { target: string | null }) {
  const boxes = useApp((s) => s.boxes);
  const navigate = useApp((s) => s.navigate);
  const [typed, setTyped] = useState('');
  const [typedError, setTypedError] = useState<string | null>(null);
  const sorted = useMemo(() => sortForFleet(Object.values(boxes)).slice(0, LIST_LIMIT), [boxes]);

  if (target) {
    const box = boxes[target];
    const targets: ConsoleTarget[] = box ? targetsFor(box) : [{ target, label: target, via: target.startsWith('serial:') ? 'serial' : 'ssh' }];
    return (
      <div className="view console-view">
        <header className="view-header">
          <div>
            <button type="button" className="btn ghost back" onClick={() => navigate({ view: 'console', target: null })}>
              <Icon name="back" /> Pick another box
            </button>
            <h1>Console: {safeText(box?.hostname ?? target, 80)}</h1>
          </div>
        </header>
        <ConsolePanel key={target} targets={targets} boxId={box?.id} />
      </div>
    );
  }

  const openTyped = () => {
    if (!isPlausibleTarget(typed)) {
      setTypedError('Type ssh://ADDRESS (e.g. ssh://root@192.168.1.20) or serial:PORT (e.g. serial:/dev/ttyUSB0 or serial:COM3).');
      return;
    }
    navigate({ view: 'console', target: typed.trim() });
  };

  return (
    <div className="view console-view">
      <header className="view-header">
        <div>
          <h1>Console</h1>
          <p className="subtitle">A terminal on a box, over the LAN or the USB-serial cable.</p>
        </div>
      </header>
      <form className="toolbar" onSubmit={(e) => (e.preventDefault(), openTyped())}>
        <label className="field grow">
          <span>Connect to an address or serial port</span>
          <input
            value={typed}
            onChange={(e) => {
              setTyped(e.target.value);
              setTypedError(null);
            }}
            placeholder="ssh://192.168.1.20 or serial:/dev/ttyUSB0"
            spellCheck={false}
            aria-invalid={!!typedError}
          />
          {typedError ? <small className="field-error">{typedError}</small> : null}
        </label>
        <button type="submit" className="btn primary">
          <Icon name="console" /> Connect
        </button>
      </form>
      {sorted.length === 0 ? (
        <EmptyState icon="console" title="No boxes to open a console on yet.">
          <p>Boxes found on the LAN or the cable are listed here. You can also type an address or serial port above.</p>
        </EmptyState>
      ) : (
        <ul className="pick-list" aria-label="Boxes">
          {sorted.map((b) => (
            <li key={b.id}>
              <button type="button" className="pick" onClick={() => navigate({ view: 'console', target: b.id })}>
                <span className="cell-strong">{safeText(b.hostname, 64)}</span>
                <span className="mono muted">{safeText(b.addresses[0] ?? b.consolePath ?? b.id, 40)}</span>
                <StatusWord label={reachLabel(b.reach)} />
                <Icon name="chevronRight" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
