import { useEffect, useMemo, useRef, useState } from 'react';
import type { PodHealth } from '../../../shared/health.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { explain, type Explained } from '../../errors.ts';
import { formatBytes } from '../../format/index.ts';
import { safeLines, safeText } from '../../format/text.ts';
import { useApp } from '../../stores/index.ts';

/** Log text kept on screen: the newest part of a followed log beyond this is dropped from the view (the saved file has it all). */
const MAX_SHOWN_LOG = 2 * 1024 * 1024;
const TAIL = 1000;

/**
 * One pod's log: its last lines, or the previous container's (what a crash-looping pod said before
 * it died), followed live, searched, saved to a file. Shown as text, escapes removed.
 */
export function PodLog({ boxId, pod, podRef, onClose }: { boxId: string; pod: PodHealth | null; podRef: { namespace: string; name: string }; onClose: () => void }) {
  const client = useApp((s) => s.client);
  const containers = pod?.containers.filter((c) => !c.init).map((c) => c.name) ?? [];
  const [container, setContainer] = useState(containers[0] ?? '');
  const [previous, setPrevious] = useState(false);
  const [follow, setFollow] = useState(false);
  const [search, setSearch] = useState('');
  const [text, setText] = useState<string | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);
  const q = { boxId, namespace: podRef.namespace, pod: podRef.name, container: container || undefined, previous, tailLines: TAIL };

  useEffect(() => {
    let live = true;
    let stream: string | null = null;
    setText(null);
    setError(null);
    const off = client.on('health.podLog', (e) => {
      if (!live || e.streamId !== stream) return;
      if (e.data) setText((t) => keepTail((t ?? '') + e.data));
      if (e.ended) {
        setFollow(false);
        if (e.error) setError(explain(new Error(e.error)));
      }
    });
    client.call('health.podLog', { ...q, follow: follow && !previous }).then(
      (r) => {
        if (!live) {
          if (r.streamId) void client.call('health.stopPodLog', { streamId: r.streamId });
          return;
        }
        stream = r.streamId;
        if (!r.streamId) {
          setText(r.text);
          setTruncated(r.truncated);
        } else setText((t) => t ?? '');
      },
      (err: unknown) => live && setError(explain(err)),
    );
    return () => {
      live = false;
      off();
      if (stream) void client.call('health.stopPodLog', { streamId: stream }).catch(() => undefined);
    };
    // q is rebuilt each render from these.
  }, [client, boxId, podRef.namespace, podRef.name, container, previous, follow]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [text, follow]);

  const shown = useMemo(() => {
    const clean = safeLines(text ?? '', MAX_SHOWN_LOG);
    const needle = search.trim().toLowerCase();
    return needle ? clean.split('\n').filter((l) => l.toLowerCase().includes(needle)) : clean.split('\n');
  }, [text, search]);

  const save = () => {
    setSaved(null);
    client.call('health.savePodLog', q).then(
      (r) => setSaved(`Saved ${formatBytes(r.bytes)} to ${r.path}`),
      (err: unknown) => setError(explain(err)),
    );
  };

  return (
    <section className="pod-log" aria-label={`Log of ${safeText(podRef.name, 80)}`}>
      <header className="pod-log-bar">
        <h3 className="mono">
          {safeText(podRef.namespace, 40)}/{safeText(podRef.name, 80)}
        </h3>
        {containers.length > 1 ? (
          <select aria-label="Container" value={container} onChange={(e) => setContainer(e.target.value)}>
            {containers.map((c) => (
              <option key={c} value={c}>
                {safeText(c, 60)}
              </option>
            ))}
          </select>
        ) : null}
        <label>
          <input type="checkbox" checked={previous} onChange={(e) => (setPrevious(e.target.checked), setFollow(false))} /> Previous container
        </label>
        <label>
          <input type="checkbox" checked={follow} disabled={previous} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <input type="search" placeholder="Find in log" aria-label="Find in log" value={search} onChange={(e) => setSearch(e.target.value.slice(0, 200))} />
        <button type="button" className="btn" onClick={save}>
          Save to file
        </button>
        <button type="button" className="btn ghost" onClick={onClose}>
          Close
        </button>
      </header>
      {saved ? <p className="muted">{saved}</p> : null}
      {error ? <ErrorNotice error={error} /> : null}
      {text === null && !error ? <p className="loading">Reading the log…</p> : null}
      {text !== null ? (
        <pre className="pod-log-text" ref={box} data-testid="pod-log">
          {truncated ? `… (only the newest part is shown: save the file for all of it)\n` : ''}
          {shown.join('\n') || (search ? 'No line matches.' : 'The log is empty.')}
        </pre>
      ) : null}
    </section>
  );
}

function keepTail(t: string): string {
  return t.length > MAX_SHOWN_LOG ? t.slice(t.length - MAX_SHOWN_LOG) : t;
}
