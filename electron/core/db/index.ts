export { openDatabase, migrate, schemaVersion, transaction } from './database.ts';
export { migrations, latestVersion } from './migrations.ts';
export { Inventory, CABLE_ONLY, type SightingInput } from './inventory.ts';
export { TrustStore } from './trust.ts';
export { AuditLog, type AuditOutcome } from './audit.ts';
export { Outbox } from './outbox.ts';
export { SettingsStore } from './settings.ts';
