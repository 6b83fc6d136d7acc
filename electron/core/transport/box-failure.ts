import { FieldlinkError } from '../../../shared/errors.ts';

/** What a box's stderr says when its disk is full, from coreutils, busybox and the shells alike. */
const DISK_FULL = /No space left on device|ENOSPC|Disk quota exceeded/i;

/**
 * A command on the box that failed, as one REMOTE_FAILED error: `message` says what did not happen
 * and `next` what to do; a full disk is named first instead, since then the technician's next move
 * is to make room on the box, whatever the command was.
 */
export function boxFailure(message: string, stderr: string, next: string): FieldlinkError {
  if (DISK_FULL.test(stderr)) {
    return new FieldlinkError('REMOTE_FAILED', `The box's disk is full: ${lowerFirst(message)} Free space on the box (old logs or images under /var), then run this again.`, {
      diskFull: true,
    });
  }
  return new FieldlinkError('REMOTE_FAILED', next ? `${message} ${next}` : message);
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
