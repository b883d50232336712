// `npm run generate:client`: writes src/client/schema.ts from the document the API builds. The
// server is built but never listens, so no database or Temporal is needed: routes only use their
// dependencies when a request arrives.
import { writeFileSync } from 'node:fs';
import { buildServer } from '../src/api/server';
import { loadConfig } from '../src/config';
import { CLIENT_SCHEMA_PATH, clientTypesFrom } from './client-types';

async function main(): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOOKFLOW_API_KEYS: 'generator-only-key-0123456789' });
  const unused = undefined as never;
  const app = await buildServer({ config, db: unused, temporal: unused, fanout: unused, logger: false });
  await app.ready();
  writeFileSync(CLIENT_SCHEMA_PATH, await clientTypesFrom(app.swagger()));
  await app.close();
  console.log(`wrote ${CLIENT_SCHEMA_PATH}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
