import { beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './database.ts';
import { Inventory } from './inventory.ts';
import { TrustStore } from './trust.ts';

describe('inventory', () => {
  let db: DatabaseSync;
  let inv: Inventory;
  beforeEach(() => {
    db = openDatabase(':memory:');
    inv = new Inventory(db);
  });

  it('merges sightings from the LAN and the cable into one box reached both ways', () => {
    inv.recordSighting({ boxId: 'SN7', source: 'mdns', address: '10.77.0.11', hostname: 'box-07', model: 'EB-200', state: 'new' });
    inv.recordSighting({ boxId: 'SN7', source: 'serial', address: '/dev/serial/by-id/usb-FTDI-SN7' });
    const box = inv.get('SN7')!;
    expect(box.addresses).toEqual(['10.77.0.11']);
    expect(box.consolePath).toBe('/dev/serial/by-id/usb-FTDI-SN7');
    expect(box.reach).toBe('both');
    expect(box.model).toBe('EB-200');
    expect(inv.list()).toHaveLength(1);
  });

  it('keeps one row per kind of sighting, with when it was first and last seen', () => {
    for (let i = 0; i < 100; i++) inv.recordSighting({ boxId: 'SN8', source: 'mdns', address: '10.77.0.18', at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() });
    inv.recordSighting({ boxId: 'SN8', source: 'sweep', address: '10.77.0.18', at: '2026-01-01T03:00:00.000Z' });
    const rows = db.prepare('SELECT source, first_at, at FROM sightings WHERE box_id = ? ORDER BY source').all('SN8');
    expect(rows).toEqual([
      { source: 'mdns', first_at: '2026-01-01T00:00:00.000Z', at: '2026-01-01T01:39:00.000Z' },
      { source: 'sweep', first_at: '2026-01-01T03:00:00.000Z', at: '2026-01-01T03:00:00.000Z' },
    ]);
  });

  it('merges a box known by its host key into the one its serial names: sightings, addresses and pins move', () => {
    const removed: string[] = [];
    const inv2 = new Inventory(
      db,
      () => undefined,
      (id) => removed.push(id),
    );
    const pins = new TrustStore(db);
    inv2.recordSighting({ boxId: 'key:SHA256:k', source: 'sweep', address: '10.0.0.7', at: '2026-01-01T00:00:00.000Z' });
    pins.pin({ host: '10.0.0.7', port: 22, keyType: 'ssh-ed25519', fingerprint: `SHA256:${'k'.repeat(43)}`, source: 'first-use', boxId: 'key:SHA256:k' });
    inv2.recordSighting({ boxId: 'SN9', source: 'serial', address: '/dev/ttyUSB0', serial: 'SN9', addresses: ['10.0.0.8'], at: '2026-01-02T00:00:00.000Z' });
    const box = inv2.mergeInto('key:SHA256:k', 'SN9')!;
    expect(box).toMatchObject({ id: 'SN9', reach: expect.any(String), firstSeen: '2026-01-01T00:00:00.000Z' });
    expect(box.addresses.sort()).toEqual(['10.0.0.7', '10.0.0.8']);
    expect(inv2.get('key:SHA256:k')).toBeUndefined();
    expect(removed).toEqual(['key:SHA256:k']);
    expect(pins.forHost('10.0.0.7', 22)[0]?.boxId).toBe('SN9');
    expect(db.prepare("SELECT COUNT(*) AS n FROM sightings WHERE box_id = 'SN9'").get()).toEqual({ n: 2 });
    // Nothing to merge: a no-op.
    expect(inv2.mergeInto('nope', 'SN9')?.id).toBe('SN9');
  });

  it('keeps what it knew when a later sighting says less', () => {
    inv.recordSighting({ boxId: 'SN1', source: 'mdns', address: '10.0.0.1', hostname: 'a', arch: 'arm64' });
    inv.recordSighting({ boxId: 'SN1', source: 'sweep', address: '10.0.0.2' });
    const box = inv.get('SN1')!;
    expect(box.hostname).toBe('a');
    expect(box.arch).toBe('arm64');
    expect(box.addresses.sort()).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('finds a box by hostname, serial number or address', () => {
    inv.recordSighting({ boxId: 'SN2', source: 'mdns', address: '10.0.0.9', hostname: 'edge-9', serial: 'SN2' });
    expect(inv.find('edge-9')?.id).toBe('SN2');
    expect(inv.find('10.0.0.9')?.id).toBe('SN2');
    expect(inv.find('SN2')?.id).toBe('SN2');
    expect(inv.find('nope')).toBeUndefined();
  });

  it('derives trust from the strongest pin, and a changed key overrides it', () => {
    const trust = new TrustStore(db);
    inv.recordSighting({ boxId: 'SN3', source: 'mdns', address: '10.0.0.3' });
    expect(inv.get('SN3')!.trust).toBe('unknown');
    trust.pin({ host: '10.0.0.3', port: 22, keyType: 'ssh-rsa', fingerprint: 'SHA256:x', source: 'first-use', boxId: 'SN3' });
    expect(inv.get('SN3')!.trust).toBe('first-use');
    trust.pin({ host: '10.0.0.3', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:y', source: 'serial', boxId: 'SN3' });
    expect(inv.get('SN3')!.trust).toBe('cable');
    inv.markKeyChanged('SN3', true);
    expect(inv.get('SN3')!.trust).toBe('changed');
  });

  it('stores hostile box text as data, not SQL', () => {
    const evil = `x'); DROP TABLE boxes; --`;
    inv.recordSighting({ boxId: evil, source: 'mdns', hostname: evil, address: '10.0.0.4' });
    expect(inv.get(evil)!.hostname).toBe(evil);
    expect(inv.list()).toHaveLength(1);
  });
});

describe('inventory changes', () => {
  it('announces every added or changed box, so the UI updates live', () => {
    const seen: string[] = [];
    const inv = new Inventory(openDatabase(':memory:'), (b) => seen.push(`${b.id}:${b.health}`));
    inv.recordSighting({ boxId: 'SN9', source: 'mdns', address: '10.0.0.9' });
    inv.setHealth('SN9', 'healthy');
    expect(seen).toEqual(['SN9:unknown', 'SN9:healthy']);
  });
});
