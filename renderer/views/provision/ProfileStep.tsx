import { useEffect, useState } from 'react';
import type { ProfileCheck, ProfileFile } from '../../../shared/provision.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';

/** How long typing pauses before the profile is checked again. */
const CHECK_MS = 300;

export interface PickedProfile {
  text: string;
  path?: string;
  check: ProfileCheck | null;
}

/** Step 2: a profile picked from the list, editable, checked as the technician types (line, column, field). */
export function ProfileStep({ value, onChange }: { value: PickedProfile; onChange: (p: PickedProfile) => void }) {
  const client = useApp((s) => s.client);
  const [files, setFiles] = useState<ProfileFile[]>([]);

  useEffect(() => {
    let live = true;
    client.call('provision.profiles', {}).then(
      (list) => {
        if (!live) return;
        setFiles(list);
        if (!value.text && list[0]) onChange({ text: list[0].text, path: list[0].path, check: null });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    if (!value.text) return;
    let live = true;
    const t = setTimeout(() => {
      client.call('provision.check', { text: value.text }).then(
        (check) => live && onChange({ ...value, check }),
        () => undefined,
      );
    }, CHECK_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, value.text]);

  const check = value.check;
  return (
    <div className="profile-step">
      <label className="field">
        <span>Profile</span>
        <select
          value={value.path ?? ''}
          onChange={(e) => {
            const f = files.find((x) => x.path === e.target.value);
            if (f) onChange({ text: f.text, path: f.path, check: null });
          }}
        >
          {files.map((f) => (
            <option key={f.path} value={f.path}>
              {safeText(f.name, 80)}
            </option>
          ))}
        </select>
      </label>
      <textarea
        className="profile-text mono"
        aria-label="Profile YAML"
        spellCheck={false}
        value={value.text}
        onChange={(e) => onChange({ ...value, text: e.target.value, check: null })}
        rows={22}
      />
      <div className="profile-check" aria-live="polite" data-valid={check ? String(check.ok) : 'checking'}>
        {check === null ? (
          <p className="muted">Checking…</p>
        ) : check.ok ? (
          <p>
            <strong>Valid:</strong> {safeText(check.name ?? '', 80)} · k3s {check.k3s?.role} {check.k3s?.version}
            {check.k3s && !check.k3s.cached ? <span className="tone-bad"> — not in the artifact cache yet: add it with fieldlink artifacts add DIR</span> : null}
          </p>
        ) : (
          <ul className="problems">
            {check.problems.slice(0, 20).map((p, i) => (
              <li key={i}>
                <span className="mono">
                  line {p.line}, col {p.col}
                  {p.path ? ` · ${safeText(p.path, 80)}` : ''}
                </span>
                : {safeText(p.message, 300)}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
