import type { ProvisionBox, ProvisionRun, StepResult } from '../../../shared/provision.ts';
import { Progress } from '../../components/StatusBar.tsx';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';

const MARK: Record<StepResult['outcome'], string> = { done: '✓', changed: '✓', 'would-change': '•', failed: '✗' };
const WORD: Record<StepResult['outcome'], string> = { done: 'already as the profile', changed: 'changed', 'would-change': 'will change', failed: 'failed' };
const STATE: Record<ProvisionBox['state'], string> = { waiting: 'Waiting', running: 'Running', ok: 'Done', failed: 'Failed' };

/** Every box of a run: a bar, the plan's steps ticking off, and (dry run) what will change or (run) the live log. */
export function RunBoxes({ run, onRetry }: { run: ProvisionRun; onRetry?: (boxIds: string[]) => void }) {
  const boxes = useApp((s) => s.boxes);
  return (
    <div className="run-boxes">
      {run.boxes.map((b) => (
        <section
          key={b.boxId}
          className={`run-box state-${b.state}`}
          data-box-id={b.boxId}
          data-state={b.state}
          aria-label={`Box ${safeText(boxes[b.boxId]?.hostname ?? b.boxId, 64)}`}
        >
          <header className="run-box-head">
            <strong>{safeText(boxes[b.boxId]?.hostname ?? b.boxId, 64)}</strong>
            <Progress value={b.state === 'waiting' ? 0 : b.progress} />
            <span className="run-box-state">{b.state === 'running' && b.step ? safeText(b.step, 80) : STATE[b.state]}</span>
            {b.state === 'failed' && onRetry ? (
              <button type="button" className="btn" onClick={() => onRetry([b.boxId])}>
                Retry
              </button>
            ) : null}
          </header>
          <ol className="run-steps">
            {run.plan.map((p) => {
              const s = b.steps.find((x) => x.id === p.id);
              return (
                <li key={p.id} data-step={p.id} data-outcome={s?.outcome ?? 'pending'} className={s ? `outcome-${s.outcome}` : 'pending'}>
                  <span aria-hidden="true">{s ? MARK[s.outcome] : '○'}</span> {p.title}
                  {s ? (
                    <span className="muted">
                      {' '}
                      — {WORD[s.outcome]}
                      {s.ms > 1000 ? ` (${(s.ms / 1000).toFixed(1)} s)` : ''}
                    </span>
                  ) : null}
                  {s && s.outcome !== 'done' && s.drift.length ? (
                    <ul className="drift mono">
                      {s.drift.slice(0, 12).map((d, i) => (
                        <li key={i}>{safeText(d, 300)}</li>
                      ))}
                    </ul>
                  ) : null}
                  {s?.error ? <p className="tone-bad">{safeText(s.error.message, 600)}</p> : null}
                </li>
              );
            })}
          </ol>
          {b.error && !b.error.step ? <p className="tone-bad">{safeText(b.error.message, 600)}</p> : null}
          {!run.dryRun && b.log.length ? (
            <pre className="step-log mono" aria-label="Step log">
              {b.log
                .slice(-8)
                .map((l) => safeText(l, 300))
                .join('\n')}
            </pre>
          ) : null}
        </section>
      ))}
    </div>
  );
}
