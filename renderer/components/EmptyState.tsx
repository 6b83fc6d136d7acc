import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon.tsx';

/** Every empty screen says what will be here and what the technician can do next. */
export function EmptyState({ icon, title, children, actions }: { icon: IconName; title: string; children?: ReactNode; actions?: ReactNode }) {
  return (
    <section className="empty-state">
      <Icon name={icon} size={40} />
      <h2>{title}</h2>
      {children ? <div className="empty-text">{children}</div> : null}
      {actions ? <div className="empty-actions">{actions}</div> : null}
    </section>
  );
}
