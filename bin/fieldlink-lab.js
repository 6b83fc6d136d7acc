#!/usr/bin/env node
// A tiny launcher: the lab is TypeScript that Node 24 runs as is.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`fieldlink-lab needs Node 24 (this is ${process.version}); run it through \`npm run lab --\` or \`npx fieldlink-lab\`.\n`);
  process.exit(2);
}
const { runCli } = await import('../lab/cli.ts');
await runCli(process.argv.slice(2));
