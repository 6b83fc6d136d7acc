import { describe, expect, it } from 'vitest';
import { takeSessionToken } from './token.ts';

/** Just enough of Location, Storage and History to watch what the token does. */
function browser(href: string, stored: Record<string, string> = {}) {
  const url = new URL(href);
  const store = new Map(Object.entries(stored));
  const replaced: string[] = [];
  const loc = { hash: url.hash, pathname: url.pathname, search: url.search } as Location;
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage;
  const hist = { state: null, replaceState: (_s: unknown, _t: string, u: string) => void replaced.push(u) } as unknown as History;
  return { loc, storage, hist, store, replaced };
}

describe('session token in the browser host', () => {
  it('takes the token from the fragment, keeps it for reloads, and scrubs the address bar', () => {
    const b = browser('http://127.0.0.1:4000/?view=fleet#token=abc_DEF-123');
    expect(takeSessionToken(b.loc, b.storage, b.hist)).toBe('abc_DEF-123');
    expect(b.store.get('fieldlink.token')).toBe('abc_DEF-123');
    expect(b.replaced).toEqual(['/?view=fleet']);
  });

  it('uses the kept token after a reload, without touching history', () => {
    const b = browser('http://127.0.0.1:4000/', { 'fieldlink.token': 'kept' });
    expect(takeSessionToken(b.loc, b.storage, b.hist)).toBe('kept');
    expect(b.replaced).toEqual([]);
  });

  it('has no token when opened without one', () => {
    const b = browser('http://127.0.0.1:4000/#other=1');
    expect(takeSessionToken(b.loc, b.storage, b.hist)).toBeNull();
  });

  it('still works when storage is disabled', () => {
    const b = browser('http://127.0.0.1:4000/#token=t1');
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    } as unknown as Storage;
    expect(takeSessionToken(b.loc, broken, b.hist)).toBe('t1');
    expect(b.replaced).toEqual(['/']);
  });
});
