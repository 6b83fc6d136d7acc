import { describe, expect, it } from 'vitest';
import { FieldlinkError } from '../../../shared/errors.ts';
import { passwordProblemOf } from '../../errors.ts';

const details = { needs: 'password', wrong: false, remembered: false, via: 'ssh', target: 'ssh://root@10.77.0.15', user: 'root' };

describe('password prompt from a console.open failure', () => {
  it('reads the prompt out of AUTH_FAILED with PasswordNeeded details, extra transport details dropped', () => {
    const err = new FieldlinkError('AUTH_FAILED', 'refused', { ...details, wrong: true, tried: ['password'], allowed: ['password', 'publickey'] });
    expect(passwordProblemOf(err)).toEqual({ ...details, wrong: true });
    expect(passwordProblemOf({ code: 'AUTH_FAILED', message: 'x', details: { ...details, via: 'serial' } })).toMatchObject({ via: 'serial' });
  });
  it('is no prompt for a plain refusal (password login off), another code, or forged details', () => {
    expect(passwordProblemOf(new FieldlinkError('AUTH_FAILED', 'only keys', { tried: ['key x'], allowed: ['publickey'] }))).toBeNull();
    expect(passwordProblemOf(new FieldlinkError('HOST_KEY_UNKNOWN', 'x', details))).toBeNull();
    expect(passwordProblemOf(new FieldlinkError('AUTH_FAILED', 'x', { ...details, via: 'telnet' }))).toBeNull();
    expect(passwordProblemOf(new FieldlinkError('AUTH_FAILED', 'x', { ...details, wrong: 'yes' }))).toBeNull();
  });
  it('bounds what the box side could make long', () => {
    const p = passwordProblemOf(new FieldlinkError('AUTH_FAILED', 'x', { ...details, user: 'u'.repeat(500), target: 't'.repeat(5000) }))!;
    expect(p.user).toHaveLength(64);
    expect(p.target).toHaveLength(500);
  });
});
