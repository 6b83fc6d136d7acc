import { useEffect, useMemo, useRef, useState } from 'react';
import { paletteResults, runCommand } from '../commands/index.ts';
import { safeText } from '../format/text.ts';
import { selectBoxList } from '../stores/selectors.ts';
import { useApp, useAppShallow } from '../stores/index.ts';
import { Icon } from './Icon.tsx';

/** Ctrl+K: every main action and every box, by typing a few letters. */
export function CommandPalette() {
  const open = useApp((s) => s.paletteOpen);
  const setOpen = useApp((s) => s.setPaletteOpen);
  const boxes = useAppShallow(selectBoxList);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const dialog = useRef<HTMLDialogElement>(null);
  const results = useMemo(() => paletteResults(query, boxes), [query, boxes]);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setQuery('');
      setActive(0);
      d.showModal();
    }
    if (!open && d.open) d.close();
  }, [open]);

  const choose = (i: number) => {
    const c = results[i];
    if (!c) return;
    setOpen(false);
    runCommand(c.action);
  };

  return (
    <dialog ref={dialog} className="palette" aria-label="Command palette" onClose={() => setOpen(false)}>
      <div className="palette-input">
        <Icon name="search" />
        <input
          autoFocus
          value={query}
          placeholder="Type a command or a box name…"
          aria-label="Command"
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((a) => Math.min(results.length - 1, a + 1));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((a) => Math.max(0, a - 1));
            } else if (e.key === 'Enter') {
              e.preventDefault();
              choose(active);
            }
          }}
        />
      </div>
      <ul className="palette-list" role="listbox">
        {results.length === 0 ? <li className="palette-empty">Nothing matches. Try a box name or “scan”.</li> : null}
        {results.map((c, i) => (
          <li key={c.id} role="option" aria-selected={i === active}>
            <button type="button" className={i === active ? 'active' : ''} onMouseEnter={() => setActive(i)} onClick={() => choose(i)}>
              <span>{safeText(c.title)}</span>
              {c.keys ? <kbd>{c.keys}</kbd> : null}
            </button>
          </li>
        ))}
      </ul>
    </dialog>
  );
}
