import { EmptyState } from '../../components/EmptyState.tsx';
import { Icon } from '../../components/Icon.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import { reachLabel, stateLabel } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { useState } from 'react';
import type { Box } from '../../../shared/model.ts';
import type { ProvisionRun } from '../../../shared/provision.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useApp } from '../../stores/index.ts';
import { ProfileStep, type PickedProfile } from './ProfileStep.tsx';
import { RunBoxes } from './RunBoxes.tsx';
import { useRun } from './useRun.ts';

const STEPS = ['Boxes', 'Profile', 'Review', 'Run'] as const;
type Stage = 0 | 1 | 2 | 3;

/**
 * The provisioning wizard: the boxes picked in the Fleet, a profile checked as it is typed, the
 * dry-run diff per box, then the run with a bar, the steps and the live log per box, and Retry on a
 * box that failed while the others go on.
 */
export function ProvisionView({ ids }: { ids: string[] }) {
  const boxes = useApp((s) => s.boxes);
  const picked = ids.map((id) => boxes[id]).filter((b) => b !== undefined);
  const [stage, setStage] = useState<Stage>(0);
  const [profile, setProfile] = useState<PickedProfile>({ text: '', check: null });
  const { run, error, start, cancel, reset } = useRun();
  const go = (to: Stage, dryRun?: boolean, only?: string[]) => {
    reset();
    setStage(to);
    if (dryRun !== undefined) void start({ boxIds: only ?? picked.map((b) => b.id), text: profile.text, path: profile.path, dryRun });
  };
  const running = run?.state === 'running';

  return (
    <div className="view provision">
      <header className="view-header">
        <div>
          <h1>Provision</h1>
          <p className="subtitle">Bring new boxes up to the site's profile, several at once.</p>
        </div>
      </header>
      <ol className="stepper" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} className={i === stage ? 'current' : i > stage ? 'later' : 'past'} aria-current={i === stage ? 'step' : undefined}>
            <span className="step-no">{i + 1}</span> {s}
          </li>
        ))}
      </ol>
      {error ? <ErrorNotice error={error} /> : null}
      <section className="step-panel" aria-label={STEPS[stage]}>
        <h2 className="section-title">
          {stage + 1}. {STEPS[stage]}
        </h2>
        {stage === 0 ? <BoxesStep picked={picked} /> : null}
        {stage === 1 ? <ProfileStep value={profile} onChange={setProfile} /> : null}
        {stage >= 2 && run ? <RunBoxes run={run} onRetry={stage === 3 && !running ? (only) => go(3, false, only) : undefined} /> : null}
        {stage >= 2 && !run && !error ? <p className="muted">Starting…</p> : null}
      </section>
      <footer className="wizard-actions">
        {stage > 0 && !running ? (
          <button type="button" className="btn" onClick={() => go((stage - 1) as Stage)}>
            Back
          </button>
        ) : null}
        {stage === 0 ? (
          <button type="button" className="btn primary" disabled={picked.length === 0} onClick={() => go(1)}>
            Next: profile
          </button>
        ) : null}
        {stage === 1 ? (
          <button type="button" className="btn primary" disabled={!profile.check?.ok} onClick={() => go(2, true)}>
            Next: review the changes
          </button>
        ) : null}
        {stage === 2 ? (
          <button type="button" className="btn primary" disabled={!run || running || run.boxes.some((b) => b.state === 'failed')} onClick={() => go(3, false)}>
            Provision {picked.length === 1 ? '1 box' : `${picked.length} boxes`}
          </button>
        ) : null}
        {running ? (
          <button type="button" className="btn" onClick={cancel}>
            Cancel
          </button>
        ) : null}
        {stage === 3 && run && !running ? <RunSummary run={run} /> : null}
      </footer>
    </div>
  );
}

/** Step 1: the boxes picked in the Fleet, with what the inventory knows of their arch and reach. */
function BoxesStep({ picked }: { picked: Box[] }) {
  const navigate = useApp((s) => s.navigate);
  if (picked.length === 0) {
    return (
      <EmptyState
        icon="fleet"
        title="No boxes picked."
        actions={
          <button type="button" className="btn primary" onClick={() => navigate({ view: 'fleet' })}>
            <Icon name="fleet" /> Pick boxes in the Fleet
          </button>
        }
      >
        <p>Tick the boxes to provision in the Fleet (or press “Provision” on a new box), then come back here.</p>
      </EmptyState>
    );
  }
  return (
    <table className="plain-table" aria-label="Boxes to provision">
      <thead>
        <tr>
          <th>Box</th>
          <th>Arch</th>
          <th>Reached by</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {picked.map((b) => (
          <tr key={b.id}>
            <td className="cell-strong">{safeText(b.hostname, 64)}</td>
            <td className={b.arch ? 'mono' : 'muted'}>{b.arch ? safeText(b.arch, 20) : 'Not reported yet'}</td>
            <td>
              <StatusWord label={reachLabel(b.reach)} />
            </td>
            <td>
              <StatusWord label={stateLabel(b.state)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The end of a run: how many boxes made it, and each box's health one click away. */
function RunSummary({ run }: { run: ProvisionRun }) {
  const navigate = useApp((s) => s.navigate);
  const boxes = useApp((s) => s.boxes);
  const ok = run.boxes.filter((b) => b.state === 'ok');
  return (
    <div className="run-summary" role="status">
      <strong>
        {run.state === 'cancelled' ? 'Cancelled. ' : ''}
        {ok.length} of {run.boxes.length} boxes provisioned.
      </strong>
      {ok.map((b) => (
        <button key={b.boxId} type="button" className="btn ghost" onClick={() => navigate({ view: 'box', id: b.boxId, tab: 'health' })}>
          Health of {safeText(boxes[b.boxId]?.hostname ?? b.boxId, 64)}
        </button>
      ))}
    </div>
  );
}
