import { useEffect, useState } from 'react';
import type { Theme } from '../../../shared/model.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon, type IconName } from '../../components/Icon.tsx';
import { explain, fieldOf, type Explained } from '../../errors.ts';
import { safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';
import { draftFrom, patchFrom, type SettingsDraft } from './draft.ts';

const THEMES: { theme: Theme; label: string; icon: IconName; hint: string }[] = [
  { theme: 'light', label: 'Light', icon: 'sun', hint: 'Indoors' },
  { theme: 'dark', label: 'Dark', icon: 'moon', hint: 'Dim rooms, night work' },
  { theme: 'contrast', label: 'High contrast', icon: 'contrast', hint: 'Sunlight, glare' },
];

/** Settings, saved through the core (settings.set) so the CLI and every window see the same values. */
export function SettingsView() {
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.info);
  const save = useApp((s) => s.saveSettings);
  const [draft, setDraft] = useState<SettingsDraft | null>(settings ? draftFrom(settings) : null);
  const [errors, setErrors] = useState<Partial<Record<keyof SettingsDraft, string>>>({});
  const [failure, setFailure] = useState<Explained | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (settings && !draft) setDraft(draftFrom(settings));
  }, [settings, draft]);

  if (!settings || !draft) return <p className="loading">Loading settings…</p>;

  const edit = (k: keyof SettingsDraft, v: string) => {
    setDraft({ ...draft, [k]: v });
    setErrors({ ...errors, [k]: undefined });
    setSaved(false);
  };

  const submit = async () => {
    const result = patchFrom(draft, settings);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const next = await save(result.patch);
      setDraft(draftFrom(next));
      setSaved(true);
    } catch (err) {
      const field = fieldOf(err) as keyof SettingsDraft | null;
      if (field && field in draft) setErrors({ [field]: explain(err).detail ?? 'Not accepted.' });
      else setFailure(explain(err));
    } finally {
      setBusy(false);
    }
  };

  const pickTheme = (theme: Theme) => {
    save({ theme }).catch((err: unknown) => setFailure(explain(err)));
  };

  return (
    <div className="view settings">
      <header className="view-header">
        <div>
          <h1>Settings</h1>
          <p className="subtitle">Saved on this laptop; the command line uses the same values.</p>
        </div>
      </header>

      <section className="settings-section">
        <h2 className="section-title">Theme</h2>
        <div className="theme-picker" role="radiogroup" aria-label="Theme">
          {THEMES.map((t) => (
            <button
              key={t.theme}
              type="button"
              role="radio"
              aria-checked={settings.theme === t.theme}
              className={`theme-option${settings.theme === t.theme ? ' current' : ''}`}
              data-theme-option={t.theme}
              onClick={() => pickTheme(t.theme)}
            >
              <Icon name={t.icon} size={24} />
              <span className="cell-strong">{t.label}</span>
              <span className="muted">{t.hint}</span>
              {settings.theme === t.theme ? <span className="chosen">In use</span> : null}
            </button>
          ))}
        </div>
      </section>

      <form
        className="settings-section"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h2 className="section-title">Site and technician</h2>
        <Field
          id="technician"
          label="Technician"
          hint="Written into the audit trail with every trust decision and provisioning step."
          value={draft.technician}
          error={errors.technician}
          onChange={(v) => edit('technician', v)}
        />
        <Field
          id="site"
          label="Site name"
          hint="Shown at the top of the Fleet, e.g. “Plant 3 – Line B”."
          value={draft.site}
          error={errors.site}
          onChange={(v) => edit('site', v)}
        />
        <Field
          id="collectorUrl"
          label="Collector address"
          hint="Where collected logs upload when the laptop is back online, e.g. https://collector.example.com. Leave empty if you have none."
          value={draft.collectorUrl}
          error={errors.collectorUrl}
          onChange={(v) => edit('collectorUrl', v)}
          mono
        />
        <Field
          id="quotaGb"
          label="Disk quota for logs (GB)"
          hint="Collected logs never use more than this on the laptop."
          value={draft.quotaGb}
          error={errors.quotaGb}
          onChange={(v) => edit('quotaGb', v)}
          inputMode="decimal"
        />
        {failure ? <ErrorNotice error={failure} onDismiss={() => setFailure(null)} /> : null}
        <div className="actions">
          <button type="submit" className="btn primary" disabled={busy}>
            <Icon name="check" /> Save settings
          </button>
          {saved ? (
            <span className="saved" role="status">
              Saved.
            </span>
          ) : null}
        </div>
      </form>

      <section className="settings-section">
        <h2 className="section-title">About</h2>
        <dl className="facts">
          <div>
            <dt>Version</dt>
            <dd className="mono">{safeText(info?.version ?? '—')}</dd>
          </div>
          <div>
            <dt>Data folder</dt>
            <dd className="mono">{safeText(info?.dataDir ?? '—', 300)}</dd>
          </div>
          <div>
            <dt>Running as</dt>
            <dd>{info?.host === 'browser' ? 'Browser window (fieldlink ui)' : info?.host === 'electron' ? 'Desktop app' : safeText(info?.host ?? '—')}</dd>
          </div>
        </dl>
        <p className="muted note">Technician SSH key, artifact cache, profiles and redaction patterns are not available yet in this version.</p>
      </section>
    </div>
  );
}

function Field(props: { id: string; label: string; hint: string; value: string; error?: string; onChange: (v: string) => void; mono?: boolean; inputMode?: 'decimal' }) {
  return (
    <label className="field" htmlFor={`setting-${props.id}`}>
      <span>{props.label}</span>
      <input
        id={`setting-${props.id}`}
        name={props.id}
        className={props.mono ? 'mono' : undefined}
        value={props.value}
        inputMode={props.inputMode}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={!!props.error}
        aria-describedby={`setting-${props.id}-hint`}
        spellCheck={false}
      />
      {props.error ? <small className="field-error">{props.error}</small> : null}
      <small id={`setting-${props.id}-hint`}>{props.hint}</small>
    </label>
  );
}
