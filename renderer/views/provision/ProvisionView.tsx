import { EmptyState } from '../../components/EmptyState.tsx';
import { Icon } from '../../components/Icon.tsx';
import { StatusWord } from '../../components/StatusWord.tsx';
import { reachLabel, stateLabel } from '../../format/labels.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';

const STEPS = ['Boxes', 'Profile', 'Review', 'Run'] as const;

/**
 * The provisioning wizard. Step 1 works from the inventory today; steps 2–4 need the core's
 * provisioning engine, which is not built yet, and say so instead of pretending.
 */
export function ProvisionView({ ids }: { ids: string[] }) {
  const boxes = useApp((s) => s.boxes);
  const navigate = useApp((s) => s.navigate);
  const picked = ids.map((id) => boxes[id]).filter((b) => b !== undefined);

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
          <li key={s} className={i === 0 ? 'current' : 'later'} aria-current={i === 0 ? 'step' : undefined}>
            <span className="step-no">{i + 1}</span> {s}
            {i > 0 ? <span className="muted"> — not available yet</span> : null}
          </li>
        ))}
      </ol>

      <section className="step-panel">
        <h2 className="section-title">1. Boxes</h2>
        {picked.length === 0 ? (
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
        ) : (
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
        )}
      </section>

      <section className="step-panel later">
        <h2 className="section-title">2–4. Profile, review, run</h2>
        <p>
          Provisioning is not available yet in this version of Fieldlink. When it is: pick or edit a profile with each field checked as you type; review the dry-run diff per box
          (what changes, what needs a reboot, which k3s build is used); then run with a progress bar and live step log per box, “Retry” on a failed box while the others go on, and
          a link to each box's health at the end.
        </p>
        <p className="muted">Until then, the arch and reachability above are what the inventory knows; they are not re-checked on the box.</p>
      </section>
    </div>
  );
}
