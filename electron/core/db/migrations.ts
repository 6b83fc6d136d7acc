/**
 * Numbered schema migrations. Append only: a released migration is never edited, because laptops in
 * the field carry databases at every earlier version. `PRAGMA user_version` records how far a
 * database has come.
 */
export const migrations: readonly string[] = [
  // 1: the inventory: one row per box, and every sighting that made us believe in it.
  `CREATE TABLE boxes (
     id TEXT PRIMARY KEY,
     hostname TEXT NOT NULL,
     serial TEXT,
     model TEXT,
     vendor TEXT,
     arch TEXT,
     addresses TEXT NOT NULL DEFAULT '[]',
     console_path TEXT,
     state TEXT NOT NULL DEFAULT 'unknown',
     health TEXT NOT NULL DEFAULT 'unknown',
     k3s_version TEXT,
     first_seen TEXT NOT NULL,
     last_seen TEXT NOT NULL
   ) STRICT;
   CREATE TABLE sightings (
     id INTEGER PRIMARY KEY,
     box_id TEXT NOT NULL REFERENCES boxes(id) ON DELETE CASCADE,
     source TEXT NOT NULL,
     address TEXT,
     at TEXT NOT NULL,
     facts TEXT NOT NULL DEFAULT '{}'
   ) STRICT;
   CREATE INDEX sightings_box ON sightings(box_id, at);`,

  // 2: host-key pins and the audit trail of every decision a technician may be asked about.
  `CREATE TABLE trust_pins (
     host TEXT NOT NULL,
     port INTEGER NOT NULL,
     key_type TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     box_id TEXT,
     source TEXT NOT NULL,
     pinned_at TEXT NOT NULL,
     PRIMARY KEY (host, port, key_type)
   ) STRICT;
   CREATE INDEX trust_pins_box ON trust_pins(box_id);
   ALTER TABLE boxes ADD COLUMN key_changed_at TEXT;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     box_id TEXT,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     outcome TEXT NOT NULL,
     detail TEXT NOT NULL DEFAULT ''
   ) STRICT;
   CREATE INDEX audit_box ON audit(box_id, id);`,

  // 3: the outbox of log segments waiting for the collector, and the technician's settings.
  `CREATE TABLE outbox (
     sha256 TEXT PRIMARY KEY,
     box_id TEXT,
     source TEXT NOT NULL,
     path TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT 'waiting',
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     synced_at TEXT
   ) STRICT;
   CREATE INDEX outbox_state ON outbox(state);
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) STRICT;`,

  // 4: secrets (passwords, join and collector tokens), sealed before they reach the database.
  `CREATE TABLE secrets (
     name TEXT PRIMARY KEY,
     sealed BLOB NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;`,

  // 5: when a box last said goodbye on the LAN (mDNS TTL 0 or expiry): LAN sightings before it no
  // longer count as reachable now.
  `ALTER TABLE boxes ADD COLUMN lan_gone_at TEXT;`,

  // 6: when a box's serial cable was last pulled: cable sightings before it no longer count.
  `ALTER TABLE boxes ADD COLUMN cable_gone_at TEXT;`,

  // 7: sightings that disagree and were kept apart (two boxes claiming one serial number).
  `ALTER TABLE boxes ADD COLUMN conflict TEXT;`,

  // 8: one sighting row per box, source and address, with when it was first and last seen: a box
  // announcing itself every minute, or a sweep every hour, no longer grows the table without end.
  `ALTER TABLE sightings ADD COLUMN first_at TEXT;
   UPDATE sightings SET first_at = (SELECT MIN(o.at) FROM sightings o
     WHERE o.box_id = sightings.box_id AND o.source = sightings.source AND o.address IS sightings.address);
   DELETE FROM sightings WHERE id NOT IN (SELECT MAX(id) FROM sightings GROUP BY box_id, source, address);
   CREATE INDEX sightings_key ON sightings(box_id, source, address);`,

  // 9: collected log segments (immutable zstd files named by the sha256 of their bytes) with their
  // source, range, redaction counts and sync state; and how far each box's sources were collected.
  `CREATE TABLE segments (
     hash TEXT PRIMARY KEY,
     box_id TEXT NOT NULL,
     source TEXT NOT NULL,
     range_from TEXT NOT NULL,
     range_to TEXT NOT NULL,
     time_from TEXT NOT NULL,
     time_to TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     raw_bytes INTEGER NOT NULL,
     lines INTEGER NOT NULL,
     redactions TEXT NOT NULL DEFAULT '{}',
     created_at TEXT NOT NULL,
     sync_state TEXT NOT NULL DEFAULT 'waiting' CHECK (sync_state IN ('waiting', 'uploading', 'synced')),
     upload_url TEXT,
     synced_at TEXT,
     problem TEXT
   ) STRICT;
   CREATE INDEX segments_box ON segments(box_id, source, created_at);
   CREATE INDEX segments_sync ON segments(sync_state, created_at);
   CREATE TABLE log_cursors (
     box_id TEXT NOT NULL,
     source TEXT NOT NULL,
     cursor TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (box_id, source)
   ) STRICT;`,
];

export const latestVersion = migrations.length;
