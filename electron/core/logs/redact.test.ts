import { describe, expect, it } from 'vitest';
import { ORDINARY, SAMPLES } from './redact-corpus.ts';
import { checkPattern, compilePatterns, Redactor } from './redact.ts';
import { KINDS, luhn } from './redact-rules.ts';

const redactAll = (text: string, r = new Redactor()) => text.split('\n').map((l) => r.line(l));

describe('redaction corpus', () => {
  it('has at least 40 kinds, each with a sample', () => {
    expect(KINDS.length).toBeGreaterThanOrEqual(40);
    const sampled = new Set(SAMPLES.map((s) => s.kind));
    expect(KINDS.filter((k) => !sampled.has(k))).toEqual([]);
  });

  for (const [i, s] of SAMPLES.entries()) {
    it(`masks ${s.kind} (sample ${i + 1})`, () => {
      const r = new Redactor();
      const out = redactAll(s.text, r).join('\n');
      for (const secret of s.secrets) expect(out, `secret "${secret}" survived in:\n${out}`).not.toContain(secret);
      expect(out).toContain(`[REDACTED:${s.kind}]`);
      expect(r.counts()[s.kind], `counts: ${JSON.stringify(r.counts())}`).toBeGreaterThanOrEqual(1);
    });
  }

  it('leaves ordinary journald, k3s, containerd and kernel lines byte for byte', () => {
    const r = new Redactor();
    for (const line of ORDINARY) expect(r.line(line)).toBe(line);
    expect(r.counts()).toEqual({});
  });

  it('keeps the text around a secret and names the kind once per secret', () => {
    const r = new Redactor();
    expect(r.line('connecting to postgres://app:Sup3r@db:5432/x now')).toBe('connecting to postgres://app:[REDACTED:url-credentials]@db:5432/x now');
    expect(r.line('DB_PASS=a DB_PASS=b')).toBe('DB_PASS=[REDACTED:env-password] DB_PASS=[REDACTED:env-password]');
    expect(r.takeCounts()).toEqual({ 'url-credentials': 1, 'env-password': 2 });
    expect(r.counts()).toEqual({});
  });
});

describe('streaming', () => {
  it('masks a PEM key split across chunk boundaries at every cut', () => {
    const text = `${SAMPLES.find((s) => s.kind === 'pem-rsa-private-key')!.text}\nafter the key: ok\n`;
    for (let cut = 1; cut < text.length; cut += 7) {
      const r = new Redactor();
      const out = r.chunk(text.slice(0, cut)) + r.chunk(text.slice(cut)) + r.flush();
      expect(out).not.toMatch(/MIIEvQ|MzEfYyji|NMoSfm76/);
      expect(out).toContain('after the key: ok\n');
      expect(r.counts()).toEqual({ 'pem-rsa-private-key': 1 });
    }
  });

  it('ends a PEM block that never closes at the first line that is not key material', () => {
    const r = new Redactor();
    const out = redactAll('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nsystemd[1]: Started foo.service.', r);
    expect(out).toEqual(['[REDACTED:pem-private-key]', '[REDACTED:pem-private-key]', 'systemd[1]: Started foo.service.']);
  });

  it('scans an endless line in bounded pieces', () => {
    const r = new Redactor({ maxLine: 1024 });
    let out = '';
    for (let i = 0; i < 100; i++) out += r.chunk('x'.repeat(1000));
    out += r.flush();
    expect(out.length).toBe(100_000);
  });
});

describe('patterns from settings', () => {
  it('masks with a checked pattern as kind custom', async () => {
    const extra = await compilePatterns(['PLANT4-[0-9]{6}']);
    const r = new Redactor({ extra });
    expect(r.line('asset PLANT4-123456 ok')).toBe('asset [REDACTED:custom] ok');
    expect(r.counts()).toEqual({ custom: 1 });
  });

  it('refuses bad and catastrophic patterns with a sentence that says which', async () => {
    expect(checkPattern('(a+)+$')).toMatch(/nests quantifiers/);
    expect(checkPattern('(a|aa)*b')).toMatch(/alternation/);
    expect(checkPattern('(x)\\1')).toMatch(/back-reference/);
    expect(checkPattern('a*')).toMatch(/empty string/);
    expect(checkPattern('[')).toMatch(/not a valid/);
    await expect(compilePatterns(['ok-[0-9]+', '(a+)+$'])).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { index: 1 } });
  });

  it('kills a pattern that slips past the static check but backtracks on long lines', async () => {
    const t0 = Date.now();
    // Polynomial, not nested: the static check lets it through, the timed probe does not.
    await expect(compilePatterns(['\\s*\\s*\\s*\\s*\\s*x'])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/too long/) });
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('luhn', () => {
  it('accepts published test cards and refuses near misses', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });
});
