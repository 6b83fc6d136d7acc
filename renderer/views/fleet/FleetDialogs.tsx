import { useState } from 'react';
import { FieldlinkError } from '../../../shared/errors.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { explain, type Explained } from '../../errors.ts';
import { plural } from '../../format/bytes.ts';
import { useApp } from '../../stores/index.ts';
import { parseAddress, parseCidr } from './subnet.ts';

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

// The core has no discovery calls yet: say so in the same words as any typed error from the core,
// with the next step a technician can take today.
const MEANWHILE = { NOT_AVAILABLE_YET: 'Meanwhile, take the address from the box label or the site’s DHCP list and use an SSH client, or plug in the USB-serial cable.' };
const notYet = (what: string) => new FieldlinkError('NOT_AVAILABLE_YET', `${what} is not built into this version of Fieldlink yet. Boxes the core hears about still appear in the Fleet on their own.`);

function ScanDialog({ onClose }: { onClose: () => void }) {
  const [cidr, setCidr] = useState('');
  const [error, setError] = useState<Explained | null>(null);
  let hint = 'Fieldlink will knock on port 22 of every address in this range once. Only scan a network you were asked to work on.';
  try {
    if (cidr.trim()) hint = `${plural(parseCidr(cidr).hosts, 'address', 'addresses')} will be tried once each on port 22.`;
  } catch {
    // Shown on submit; while typing the hint keeps its general wording.
  }
  const submit = () => {
    try {
      parseCidr(cidr);
      setError(explain(notYet('Scanning a subnet'), MEANWHILE));
    } catch (err) {
      setError(explain(err));
    }
  };
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
          <button type="button" className="btn primary" onClick={submit}>
            Scan
          </button>
        </>
      }
    >
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <label className="field">
          <span>Subnet to scan</span>
          <input autoFocus value={cidr} onChange={(e) => setCidr(e.target.value)} placeholder="192.168.1.0/24" aria-describedby="scan-hint" />
          <small id="scan-hint">{hint}</small>
        </label>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
    </Dialog>
  );
}

function AddDialog({ onClose }: { onClose: () => void }) {
  const [address, setAddress] = useState('');
  const [error, setError] = useState<Explained | null>(null);
  const submit = () => {
    try {
      parseAddress(address);
      setError(explain(notYet('Adding a box by address'), MEANWHILE));
    } catch (err) {
      setError(explain(err));
    }
  };
  return (
    <Dialog
      title="Add by address"
      open
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn ghost" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn primary" onClick={submit}>
            Add box
          </button>
        </>
      }
    >
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <label className="field">
          <span>Box address</span>
          <input autoFocus value={address} onChange={(e) => setAddress(e.target.value)} placeholder="192.168.1.20 or box-07.local" />
          <small>An IP address or host name, with :port if SSH is not on 22.</small>
        </label>
      </form>
      {error ? <ErrorNotice error={error} /> : null}
    </Dialog>
  );
}
