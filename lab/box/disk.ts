import fs from 'node:fs';
import { FieldlinkError } from '../../shared/errors.ts';
import { run } from '../exec.ts';
import { mountTable } from './mounts.ts';

/*
 * Each box's folder is a filesystem of its own (a tmpfs, which costs memory only for what is written),
 * so a box can run out of disk without the machine doing so: `disk BOX --full` shrinks it to what is
 * in use, and every write on the box then fails with ENOSPC as on a full eMMC; `--free` gives the room
 * back. Nothing is allocated to fill it.
 */
export const BOX_DISK_FS = 'fieldlink-lab-disk';
const BOX_DISK_BYTES = 1 << 30;

export async function mountBoxDisks(dirs: string[], signal?: AbortSignal): Promise<void> {
  for (const d of dirs) fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  // One process for every box: process starts are what a 50-box up spends most on.
  await run('sh', ['-c', `for d; do mount -t tmpfs -o mode=0755,size=${BOX_DISK_BYTES} ${BOX_DISK_FS} "$d" || exit 1; done`, 'sh', ...dirs], { signal, timeoutMs: 30_000 });
}

/** Lazily, so a shell sitting in a box folder cannot make down fail. */
export async function unmountBoxDisks(under: string): Promise<void> {
  const targets = mountTable()
    .filter((m) => m.source === BOX_DISK_FS && m.type === 'tmpfs' && m.target.startsWith(under + '/'))
    .map((m) => m.target);
  if (targets.length > 0) await run('sh', ['-c', 'for d; do umount --lazy "$d"; done', 'sh', ...targets], { timeoutMs: 30_000 });
}

export interface DiskUsage {
  sizeKiB: number;
  freeKiB: number;
}

export function diskUsage(dir: string): DiskUsage {
  try {
    const s = fs.statfsSync(dir);
    return { sizeKiB: Math.round((s.blocks * s.bsize) / 1024), freeKiB: Math.round((s.bavail * s.bsize) / 1024) };
  } catch {
    return { sizeKiB: 0, freeKiB: 0 };
  }
}

/** Full: the filesystem shrunk to exactly what it holds. Not full: its whole size again. */
export async function setDiskFull(dir: string, full: boolean): Promise<DiskUsage> {
  if (!mountTable().some((m) => m.target === dir && m.source === BOX_DISK_FS)) {
    throw new FieldlinkError('CONFLICT', `${dir} is not a box disk of this lab (a lab from before box disks?): run down, then up.`);
  }
  const s = fs.statfsSync(dir);
  const used = (s.blocks - s.bfree) * s.bsize;
  await run('mount', ['-o', `remount,size=${full ? Math.max(used, s.bsize) : BOX_DISK_BYTES}`, dir]);
  return diskUsage(dir);
}
