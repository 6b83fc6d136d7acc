import { describe, expect, it } from 'vitest';
import { allowedExternalUrl } from './links.ts';

describe('external link allowlist', () => {
  it('opens https links to the allowlisted docs, normalised', () => {
    expect(allowedExternalUrl('https://kubernetes.io/docs/concepts/')).toBe('https://kubernetes.io/docs/concepts/');
    expect(allowedExternalUrl('https://docs.k3s.io/installation')).toBe('https://docs.k3s.io/installation');
    expect(allowedExternalUrl('HTTPS://KUBERNETES.IO')).toBe('https://kubernetes.io/');
    expect(allowedExternalUrl('https://kubernetes.io:443/x')).toBe('https://kubernetes.io/x');
  });

  it('opens nothing else a box could print', () => {
    for (const bad of [
      'http://kubernetes.io/',
      'https://kubernetes.io.evil.example/',
      'https://evil.example/?https://kubernetes.io',
      'https://user@kubernetes.io/',
      'https://user:pw@docs.k3s.io/',
      'https://kubernetes.io:8443/',
      'https://sub.kubernetes.io/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'smb://host/share',
      'ssh://root@10.77.0.11',
      'data:text/html,<script>1</script>',
      'fieldlink://app/index.html',
      'not a url',
      '',
      `https://kubernetes.io/${'a'.repeat(3000)}`,
      undefined,
      42,
    ]) {
      expect(allowedExternalUrl(bad), String(bad)).toBeNull();
    }
  });
});
