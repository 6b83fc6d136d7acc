import { isPair, isScalar, isSeq, visit, type Document, type LineCounter, type Pair } from 'yaml';
import type { ProfileProblem } from './problems.ts';

/*
 * A profile is shared, committed and mailed around: a secret written in it is a secret leaked. So
 * beyond the schema's own rule (a reference where a secret is expected), every string in the file,
 * comments included, is searched for things that are secrets whatever field holds them. Messages
 * say what was found and where, never the value.
 */

const PATTERNS: { re: RegExp; what: string }[] = [
  // k3s's secure token: K10<sha256 of the cluster CA>::<user>:<password>.
  { re: /K10[0-9a-fA-F]{64}/, what: 'a k3s join token' },
  { re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/, what: 'a private key' },
];

/** Map keys (separators dropped) whose string value is a password or token, wherever they appear (Helm values too). */
const SECRET_KEY = /(password|passwd|^pass|token|apikey|secretkey|clientsecret|privatekey)$/i;

const ADVICE = 'keep it in the keychain of this laptop and write { secret: "NAME" } instead';

export function findInlineSecrets(doc: Document, text: string, lc: LineCounter, file: string): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const covered: [number, number][] = [];
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.range) return;
      const path = pathOf([...ancestors, node]);
      const hit = PATTERNS.find((p) => p.re.test(node.value as string));
      const parent = ancestors.at(-1);
      const keyName = isPair(parent) && parent.value === node && isScalar(parent.key) ? String(parent.key.value) : null;
      const secretKey = keyName !== null && SECRET_KEY.test(keyName.replace(/[_-]/g, '')) && node.value !== '';
      if (!hit && !secretKey) return;
      covered.push([node.range[0], node.range[1]]);
      const pos = lc.linePos(node.range[0]);
      const what = hit ? `this looks like ${hit.what} written inline` : `"${keyName}" holds an inline secret`;
      problems.push({ file, line: pos.line, col: pos.col, path, message: `${what}; ${ADVICE}` });
    },
  });
  // Comments and anything the walk did not cover: a token pasted into a comment is still leaked.
  for (const { re, what } of PATTERNS) {
    const global = new RegExp(re.source, 'g');
    for (const m of text.matchAll(global)) {
      if (covered.some(([a, b]) => m.index >= a && m.index < b)) continue;
      const pos = lc.linePos(m.index);
      problems.push({
        file,
        line: pos.line,
        col: pos.col,
        path: '',
        message: `this looks like ${what} (in a comment or key); remove it from the file and keep it in the keychain`,
      });
    }
  }
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The dotted field path of a node from its ancestors: `k3s.token`, `users.0.password`. */
function pathOf(ancestors: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    const next = ancestors[i + 1];
    if (isPair(a) && isScalar((a as Pair).key)) parts.push(String(((a as Pair).key as { value: unknown }).value));
    else if (isSeq(a) && next !== undefined) {
      const idx = a.items.indexOf(next);
      if (idx >= 0) parts.push(String(idx));
    }
  }
  return parts.join('.');
}
