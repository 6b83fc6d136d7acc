import { FieldlinkError } from '../../../shared/errors.ts';

/** One thing wrong with a profile, pointed at: `file:line:col field.path: message`. */
export interface ProfileProblem {
  file: string;
  /** 1-based, as editors count. */
  line: number;
  col: number;
  /** The dotted field path (`k3s.token`, `users.0.keys.1`); empty for the file as a whole or a comment. */
  path: string;
  message: string;
}

export function formatProblem(p: ProfileProblem): string {
  return `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ''}: ${p.message}`;
}

/** Most editors and terminals show the first screenful; a file with 500 problems needs the first few fixed first. */
const SHOWN = 20;

/** The error a front door shows for an invalid profile: every problem on its own line, and all of them in details. */
export function profileError(file: string, problems: ProfileProblem[]): FieldlinkError {
  const lines = problems.slice(0, SHOWN).map(formatProblem);
  if (problems.length > SHOWN) lines.push(`… and ${problems.length - SHOWN} more`);
  const head = `The profile ${file} is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}); fix ${problems.length === 1 ? 'it' : 'them'} and check again with \`fieldlink profile check\`:`;
  return new FieldlinkError('BAD_REQUEST', [head, ...lines].join('\n'), { problems: problems.slice(0, 200) });
}
