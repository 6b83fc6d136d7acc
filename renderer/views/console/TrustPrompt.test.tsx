import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TrustPrompt } from './TrustPrompt.tsx';
import { sameFingerprint, type TrustProblem } from './trust.ts';

const problem: TrustProblem = { kind: 'unknown', host: '10.77.0.11', port: 22, offered: [{ keyType: 'ssh-ed25519', fingerprint: `SHA256:${'A'.repeat(43)}` }], pinned: [] };

describe('the trust prompt', () => {
  it('"I checked it" is not offered while the fingerprint field is empty (it would record typed trust nobody typed)', () => {
    const html = renderToStaticMarkup(<TrustPrompt problem={problem} busy={false} onTrust={() => undefined} onCancel={() => undefined} />);
    const checked = /<button[^>]*>(?:(?!<\/button>).)*I checked it/.exec(html)?.[0] ?? '';
    expect(checked, 'the "I checked it" button').toMatch(/disabled=""/);
    // The weaker, honestly named choice stays available.
    const tofu = /<button[^>]*>(?:(?!<\/button>).)*Trust on first use/.exec(html)?.[0] ?? '';
    expect(tofu).not.toMatch(/disabled=""/);
  });

  it('says at once when a whole fingerprint is typed that does not match', () => {
    expect(sameFingerprint(`SHA256:${'A'.repeat(43)}`, problem.offered[0]!.fingerprint)).toBe(true);
    expect(sameFingerprint(`SHA256:${'B'.repeat(43)}`, problem.offered[0]!.fingerprint)).toBe(false);
    expect(sameFingerprint('', problem.offered[0]!.fingerprint)).toBe(false);
  });
});
