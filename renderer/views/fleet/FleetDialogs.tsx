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
  return (
    <AskDialog
      title="Scan subnet"
      label="Subnet to scan"
      placeholder="192.168.1.0/24"
      action="Scan"
      hint={(cidr) => {
        try {
          if (cidr.trim()) return `${plural(parseCidr(cidr).hosts, 'address', 'addresses')} will be tried once each on port 22.`;
        } catch {
          // Shown on submit; while typing the hint keeps its general wording.
        }
        return 'Fieldlink will knock on port 22 of every address in this range once. Only scan a network you were asked to work on.';
      }}
      submit={(cidr) => {
        parseCidr(cidr);
        throw notYet('Scanning a subnet');
      }}
      onClose={onClose}
    />
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
