import { useEffect, useState } from 'react';
import type { SweepPlan } from '../../../shared/api.ts';
import { FieldlinkError } from '../../../shared/errors.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Progress } from '../../components/StatusBar.tsx';
import { asFieldlinkError, explain, type Explained } from '../../errors.ts';
import { plural } from '../../format/bytes.ts';
import { useApp } from '../../stores/index.ts';
import { parseAddress } from './subnet.ts';

/** "Scan subnet" and "Add by address": ask once, check what was typed, then hand it to the core. */
export function FleetDialogs() {
  const dialog = useApp((s) => s.dialog);
  const setDialog = useApp((s) => s.setDialog);
  const close = () => setDialog(null);
  return (
    <>
      {dialog === 'scan' ? <ScanDialog onClose={close} /> : null}
      {dialog === 'add' ? <AddDialog onClose={close} /> : null}
    </>
  );
}

// Adding by address is not built yet: say so in the same words as any typed error from the core,
// with the next step a technician can take today.
const MEANWHILE = { NOT_AVAILABLE_YET: 'Meanwhile, take the address from the box label or the site’s DHCP list and use an SSH client, or plug in the USB-serial cable.' };
const notYet = (what: string) =>
  new FieldlinkError('NOT_AVAILABLE_YET', `${what} is not built into this version of Fieldlink yet. Boxes the core hears about still appear in the Fleet on their own.`);

const portsText = (ports: number[]) => `port${ports.length === 1 ? '' : 's'} ${ports.join(' and ')}`;
const SCAN_NEXT = { BAD_REQUEST: 'Type the site LAN, like 192.168.1.0/24: Fieldlink scans at most a /16 from here.' };

/**
 * "Scan subnet": the core offers the laptop's own subnet and checks what is typed (its one CIDR
 * rule: the count, the range, or why not); the technician confirms once; then the job's progress
 * with Cancel, while the boxes it finds appear in the Fleet behind.
 */
function ScanDialog({ onClose }: { onClose: () => void }) {
  const client = useApp((s) => s.client);
  const cancelJob = useApp((s) => s.cancelJob);
  const [cidr, setCidr] = useState('');
  const [plan, setPlan] = useState<SweepPlan | null>(null);
  const [checkError, setCheckError] = useState<string | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const job = useApp((s) => (jobId ? s.jobs[jobId] : undefined));

  useEffect(() => {
    let live = true;
    client.call('discovery.subnets', {}).then(
      (subnets) => live && subnets[0] && setCidr((c) => c || subnets[0]!.cidr),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    if (!cidr.trim()) {
      setPlan(null);
      setCheckError(null);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      client.call('discovery.checkSweep', { cidr }).then(
        (p) => live && (setPlan(p), setCheckError(null)),
        (err: unknown) => live && (setPlan(null), setCheckError(asFieldlinkError(err).message)),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, cidr]);

  const start = async () => {
    setError(null);
    setStarting(true);
    try {
      const r = await client.call('discovery.sweep', { cidr });
      setJobId(r.jobId);
      setPlan(r.plan);
    } catch (err) {
      // A scan already running (e.g. hidden earlier): follow that one instead of refusing.
      const running = asFieldlinkError(err);
      const other = running.code === 'CONFLICT' ? running.details?.jobId : undefined;
      if (typeof other === 'string') {
        setPlan(null);
        setJobId(other);
      } else setError(explain(err, SCAN_NEXT));
    } finally {
      setStarting(false);
    }
  };

  const running = job?.state === 'running' || (jobId !== null && !job);
  if (jobId) {
    return (
      <Dialog
        title="Scan subnet"
        open
        onClose={onClose}
        footer={
          <>
            {running ? (
              <button type="button" className="btn" onClick={() => void cancelJob(jobId)}>
                Cancel scan
              </button>
            ) : null}
            <button type="button" className="btn primary" onClick={onClose}>
              {running ? 'Hide' : 'Close'}
            </button>
          </>
        }
      >
        <div className="scan-progress" data-state={job?.state ?? 'running'}>
          <p>
            {plan ? (
              <>
                Scanning <strong>{plan.cidr}</strong>: {plural(plan.count, 'address', 'addresses')} on {portsText(plan.ports)}.
              </>
            ) : (
              <strong>{job?.title ?? 'Scanning'}</strong>
            )}
          </p>
          <Progress value={job?.progress ?? null} />
          <p className="scan-step" aria-live="polite">
            {job?.state === 'cancelled' ? 'Cancelled. ' : job?.state === 'failed' ? 'The scan stopped. ' : ''}
            {job?.step ?? 'Starting…'}
          </p>
          {job?.state === 'failed' && job.error ? <p className="error-detail">{job.error}</p> : null}
          <small>Boxes it finds appear in the Fleet as they answer{running ? '; Hide keeps the scan running in the status bar.' : '.'}</small>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog
      title="Scan subnet"
      open
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn ghost" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn primary" onClick={() => void start()} disabled={starting || !plan}>
            {plan ? `Scan ${plural(plan.count, 'address', 'addresses')}` : 'Scan'}
          </button>
        </>
      }
    >
      <form onSubmit={(e) => (e.preventDefault(), plan && void start())}>
        <label className="field">
          <span>Subnet to scan</span>
          <input
            autoFocus
            value={cidr}
            onChange={(e) => setCidr(e.target.value)}
            placeholder="192.168.1.0/24"
            aria-describedby="scan-hint"
            aria-invalid={checkError ? true : undefined}
          />
          <small id="scan-hint" className={checkError ? 'scan-refused' : undefined}>
            {checkError ??
              (plan
                ? `${plan.cidr}: ${plural(plan.count, 'address', 'addresses')} (${plan.first} to ${plan.last}) will be tried once each on ${portsText(plan.ports)}, ${plan.concurrency} at a time. Only scan a network you were asked to work on.`
                : 'Fieldlink will knock on ports 22 and 6443 of every address in this range once. Only scan a network you were asked to work on.')}
          </small>
        </label>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
    </Dialog>
  );
}

function AddDialog({ onClose }: { onClose: () => void }) {
  return (
    <AskDialog
      title="Add by address"
      label="Box address"
      placeholder="192.168.1.20 or box-07.local"
      action="Add box"
      hint={() => 'An IP address or host name, with :port if SSH is not on 22.'}
      submit={(address) => {
        parseAddress(address);
        throw notYet('Adding a box by address');
      }}
      onClose={onClose}
    />
  );
}

interface AskDialogProps {
  title: string;
  label: string;
  placeholder: string;
  action: string;
  /** The line under the field, from what is typed so far. */
  hint: (value: string) => string;
  /** Checks and acts on the value; whatever it throws is shown in the dialog. */
  submit: (value: string) => void;
  onClose: () => void;
}

/** One field, a hint and an action: the shape both Fleet dialogs share. */
function AskDialog({ title, label, placeholder, action, hint, submit, onClose }: AskDialogProps) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<Explained | null>(null);
  const onSubmit = () => {
    try {
      submit(value);
      onClose();
    } catch (err) {
      setError(explain(err, MEANWHILE));
    }
  };
  return (
    <Dialog
      title={title}
      open
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn ghost" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn primary" onClick={onSubmit}>
            {action}
          </button>
        </>
      }
    >
      <form onSubmit={(e) => (e.preventDefault(), onSubmit())}>
        <label className="field">
          <span>{label}</span>
          <input autoFocus value={value} onChange={(e) => setValue(e.target.value)} placeholder={placeholder} aria-describedby="ask-hint" />
          <small id="ask-hint">{hint(value)}</small>
        </label>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
    </Dialog>
  );
}
