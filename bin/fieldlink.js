#!/usr/bin/env node
// The `fieldlink` command. Fieldlink's TypeScript runs on Node 24's type stripping; npm scripts and
// npx put the project's own Node 24 first on the PATH.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`fieldlink needs Node 24 or newer (this is ${process.version}). Run it as \`npx fieldlink\` inside the project.\n`);
  process.exit(2);
}
const { main } = await import('../electron/cli.ts');
process.exitCode = await main(process.argv.slice(2));
