import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { FieldlinkError } from '../../../shared/errors.ts';
import { AuditAction, AuditOutcome as AuditOutcomeSchema, type AuditEntry } from '../../../shared/model.ts';

export type AuditOutcome = AuditEntry['outcome'];

/** What a caller may write: a known action and outcome (checked at run time too, for casts and plain JS). */
const AuditWrite = z.object({ action: AuditAction, outcome: AuditOutcomeSchema });

/**
 * The audit trail: every trust decision, provisioning step and upload, with time, box, actor and
 * outcome. Rows are only ever added. Callers pass a detail a technician can read; secrets never
 * belong here (the redacting logger does not guard this table, so callers must not pass them).
 */
export class AuditLog {
  readonly #db: DatabaseSync;
  readonly #actor: () => string;
  constructor(db: DatabaseSync, actor: () => string) {
    this.#db = db;
    this.#actor = actor;
  }

  record(e: { boxId?: string | null; action: AuditAction; outcome: AuditOutcome; detail?: string; actor?: string }): void {
    // The type says it; the check keeps a cast or a plain JS caller from writing a word the UI cannot name.
    const ok = AuditWrite.safeParse({ action: e.action, outcome: e.outcome });
    if (!ok.success) {
      throw new FieldlinkError('INTERNAL', `The audit trail takes only known actions and outcomes: ${ok.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
    }
    this.#db
      .prepare('INSERT INTO audit (at, box_id, actor, action, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(new Date().toISOString(), e.boxId ?? null, e.actor ?? this.#actor(), e.action, e.outcome, (e.detail ?? '').slice(0, 4000));
  }

  list(q: { boxId?: string; limit: number }): AuditEntry[] {
    const rows = q.boxId
      ? this.#db.prepare('SELECT * FROM audit WHERE box_id = ? ORDER BY id DESC LIMIT ?').all(q.boxId, q.limit)
      : this.#db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(q.limit);
    return (rows as unknown as { id: number; at: string; box_id: string | null; actor: string; action: string; outcome: string; detail: string }[]).map((r) => ({
      id: r.id,
      at: r.at,
      boxId: r.box_id,
      actor: r.actor,
      action: r.action,
      outcome: r.outcome as AuditOutcome,
      detail: r.detail,
    }));
  }
}
