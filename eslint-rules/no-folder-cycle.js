import fs from 'node:fs';
import path from 'node:path';

/**
 * `fieldlink/no-folder-cycle`: no cycles between the folders of a layer (DESIGN.md: "No cycles,
 * between files or folders"). import-x/no-cycle sees files and skips type-only imports, so
 * `transport -> trust` (a value import) plus `trust -> transport` (only a type) passes it, yet the
 * two concepts still depend on each other. This rule counts every import, types included.
 *
 * Options: `{ roots: ['electron/core', …] }`, folders relative to the working directory. Under a
 * root, each first-level entry is one node (a folder, or a file such as `electron/core/app.ts`).
 * Test files (`*.test.ts`) import but are never imported, so they are not edges.
 */

const SOURCE = /\.(?:ts|tsx|js|mjs)$/;
const TEST = /\.test\.(?:ts|tsx|js|mjs)$/;
// Specifiers of import/export … from, bare `import '…'` and `import('…')`; only relative ones matter.
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?\sfrom\s*['"](\.[^'"]*)['"]|(?:^|[\s;])import\s*['"](\.[^'"]*)['"]|\bimport\(\s*['"](\.[^'"]*)['"]\s*\)/gm;
const TTL_MS = 1000;

/** Per root folder: when it was read, and node -> node -> the first file that makes that edge. */
const graphs = new Map();

function nodeOf(rootDir, file) {
  const rel = path.relative(rootDir, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep)[0];
}

function graphOf(rootDir) {
  const cached = graphs.get(rootDir);
  if (cached && Date.now() - cached.at < TTL_MS) return cached.edges;
  const edges = new Map();
  let entries = [];
  try {
    entries = fs.readdirSync(rootDir, { recursive: true, encoding: 'utf8' });
  } catch {
    // A root that does not exist has no cycles.
  }
  for (const entry of entries) {
    if (!SOURCE.test(entry) || TEST.test(entry) || entry.split(path.sep).includes('node_modules')) continue;
    const file = path.join(rootDir, entry);
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const from = nodeOf(rootDir, file);
    for (const m of text.matchAll(SPECIFIER)) {
      const to = nodeOf(rootDir, path.resolve(path.dirname(file), m[1] ?? m[2] ?? m[3]));
      if (!from || !to || from === to) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      const out = edges.get(from);
      if (!out.has(to)) out.set(to, path.relative(process.cwd(), file));
    }
  }
  graphs.set(rootDir, { at: Date.now(), edges });
  return edges;
}

/** The shortest folder path from `start` to `goal`, or null. */
function route(edges, start, goal) {
  const back = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift();
    if (at === goal) {
      const hops = [];
      for (let n = at; n !== null; n = back.get(n)) hops.unshift(n);
      return hops;
    }
    for (const next of edges.get(at)?.keys() ?? []) {
      if (!back.has(next)) {
        back.set(next, at);
        queue.push(next);
      }
    }
  }
  return null;
}

export const noFolderCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between the folders of a layer, type-only imports included.' },
    schema: [{ type: 'object', properties: { roots: { type: 'array', items: { type: 'string' } } }, additionalProperties: false }],
    messages: {
      cycle: 'Folder cycle {{cycle}}: {{closer}} imports back into {{self}}. Move what both need down into one of them (or into shared/) so imports point one way.',
    },
  },
  create(context) {
    const file = context.physicalFilename;
    if (!path.isAbsolute(file) || TEST.test(file)) return {};
    const cwd = context.cwd;
    const roots = (context.options[0]?.roots ?? []).map((r) => path.resolve(cwd, r)).filter((r) => nodeOf(r, file) !== null);
    if (roots.length === 0) return {};

    function check(node) {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), spec);
      for (const rootDir of roots) {
        const self = nodeOf(rootDir, file);
        const other = nodeOf(rootDir, target);
        if (!other || other === self) continue;
        const edges = graphOf(rootDir);
        const hops = route(edges, other, self);
        if (!hops) continue;
        const rel = path.relative(cwd, rootDir);
        const name = (n) => `${rel}/${n}`;
        const closer = edges.get(hops[hops.length - 2])?.get(self) ?? name(hops[hops.length - 2]);
        context.report({ node, messageId: 'cycle', data: { cycle: [self, ...hops].map(name).join(' -> '), closer, self: name(self) } });
        return;
      }
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export const fieldlinkPlugin = { meta: { name: 'fieldlink' }, rules: { 'no-folder-cycle': noFolderCycle } };
