import { lazy, Suspense, type ComponentProps } from 'react';

// xterm.js is the largest part of the UI; load it only when a console is opened.
const Panel = lazy(() => import('./ConsolePanel.tsx').then((m) => ({ default: m.ConsolePanel })));

export function LazyConsolePanel(props: ComponentProps<typeof Panel>) {
  return (
    <Suspense fallback={<p className="loading">Starting the terminal…</p>}>
      <Panel {...props} />
    </Suspense>
  );
}
