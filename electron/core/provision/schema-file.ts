import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileJsonSchema } from './profile.ts';

/**
 * assets/profiles/profile.schema.json is generated from the zod schema, never edited by hand; a
 * unit test holds the committed file to what this generates. Regenerate after changing profile.ts:
 *   node_modules/.bin/node electron/core/provision/schema-file.ts && npx prettier --write assets/profiles/profile.schema.json
 */
export const PROFILE_SCHEMA_FILE = fileURLToPath(new URL('../../../assets/profiles/profile.schema.json', import.meta.url));

export function writeProfileSchema(file = PROFILE_SCHEMA_FILE): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(profileJsonSchema(), null, 2)}\n`);
  fs.renameSync(tmp, file);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeProfileSchema();
  console.log(`wrote ${PROFILE_SCHEMA_FILE}`);
}
