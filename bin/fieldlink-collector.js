#!/usr/bin/env node
// The `fieldlink-collector` command: the receiving end of log sync (collector/), TypeScript on Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`fieldlink-collector needs Node 24 (this is ${process.version}); run it as \`npx fieldlink-collector\` inside the project.\n`);
  process.exit(2);
}
const { main } = await import('../collector/cli.ts');
process.exitCode = await main(process.argv.slice(2));
