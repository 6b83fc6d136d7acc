import fs from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { FieldlinkError } from '../../../shared/errors.ts';
import { findInlineSecrets } from './inline-secrets.ts';
import { profileError, type ProfileProblem } from './problems.ts';
import { Profile } from './profile.ts';

/** Profiles are a page or two; anything near this is a mistake (or an attack on the parser). */
export const MAX_PROFILE_BYTES = 1024 * 1024;

export type ParseResult = { ok: true; profile: Profile } | { ok: false; problems: ProfileProblem[] };

/**
 * Parses and validates a profile's YAML text, keeping positions so every problem points at its
 * line, column and field: YAML syntax, inline secrets, then the schema. All problems are reported
 * at once, so a technician fixes a file in one pass rather than one error per run.
 */
export function parseProfile(text: string, file = 'profile.yaml'): ParseResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_PROFILE_BYTES) {
    return { ok: false, problems: [{ file, line: 1, col: 1, path: '', message: `the file is over ${MAX_PROFILE_BYTES / 1024} KiB; a profile is a page or two of YAML` }] };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  const syntax = [...doc.errors].map((e): ProfileProblem => {
    const pos = lc.linePos(e.pos[0]);
    return { file, line: pos.line, col: pos.col, path: '', message: firstLine(e.message) };
  });
  if (syntax.length > 0) return { ok: false, problems: syntax };

  const secrets = findInlineSecrets(doc, text, lc, file);
  let data: unknown;
  try {
    // Aliases are bounded so a billion-laughs file cannot blow up memory.
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    return { ok: false, problems: [...secrets, { file, line: 1, col: 1, path: '', message: firstLine((err as Error).message) }] };
  }
  const parsed = Profile.safeParse(data ?? {});
  const schema = parsed.success ? [] : parsed.error.issues.flatMap((i) => locate(doc, lc, file, i));
  const problems = [...secrets, ...schema.filter((s) => !secrets.some((x) => x.path === s.path))].sort((a, b) => a.line - b.line || a.col - b.col);
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, profile: parsed.data };
}

/** Reads and validates a profile file; an invalid one throws BAD_REQUEST with every problem in details. */
export function loadProfile(file: string): Profile {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new FieldlinkError('BAD_REQUEST', `${file} is not a file; give the path of a profile YAML file.`);
    if (st.size > MAX_PROFILE_BYTES) throw profileError(file, [{ file, line: 1, col: 1, path: '', message: `the file is over ${MAX_PROFILE_BYTES / 1024} KiB` }]);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof FieldlinkError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new FieldlinkError(code === 'ENOENT' ? 'NOT_FOUND' : 'STORAGE', `Cannot read the profile ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}.`, {
      path: file,
    });
  }
  const r = parseProfile(text, file);
  if (!r.ok) throw profileError(file, r.problems);
  return r.profile;
}

/** Maps one zod issue to the place in the file it is about; an unknown key points at the key itself. */
function locate(doc: Document, lc: LineCounter, file: string, issue: z.core.$ZodIssue): ProfileProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p.description) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const at = keyNode(doc, path, k) ?? nearestNode(doc, path);
      return { file, ...position(lc, at), path: [...path, k].join('.'), message: `unknown field "${k}"` };
    });
  }
  const node = doc.getIn(path, true) as Node | undefined;
  let message = issue.message;
  let at: Node | undefined = node;
  if (node === undefined && path.length > 0) {
    // A missing field: point at the object that should hold it (its key, when it has one).
    const parent = path.slice(0, -1);
    at = (parent.length > 0 ? keyNode(doc, parent.slice(0, -1), parent.at(-1)!) : undefined) ?? nearestNode(doc, parent);
    message = `required: ${issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.code === 'invalid_value' ? issue.values.map((v) => JSON.stringify(v)).join(' or ') : issue.message}`;
  }
  return [{ file, ...position(lc, at), path: path.join('.'), message }];
}

function keyNode(doc: Document, parentPath: (string | number)[], key: string | number): Node | undefined {
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

function nearestNode(doc: Document, path: (string | number)[]): Node | undefined {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
  }
  return (doc.contents as Node | null) ?? undefined;
}

function position(lc: LineCounter, node: Node | undefined): { line: number; col: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, col: 1 };
  return lc.linePos(offset);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}
