// Where HOOKFLOW_SECRET_KEYS comes from when it is not set: `hookflow dev` makes one and keeps it in
// its data directory (so secrets stay readable across restarts); `api`, `worker` and the rest use
// that same file outside production, and refuse to start in production.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { ConfigError } from '../errors/config-error';
import { keyRingProblems } from './key-ring';

const FILE = 'secret-keys';

export const HOW_TO_MAKE_A_KEY =
  'make one with: HOOKFLOW_SECRET_KEYS="k1:$(openssl rand -base64 32)" — keep it in your secret store and give the same value to every api and worker';

/**
 * Sets `config.secretKeys` when the environment did not. Returns where it came from, for the log.
 * `generate`: make a key when there is none yet (`dev`); otherwise only an existing file is used.
 */
export function resolveSecretKeys(config: Config, opts: { generate: boolean }): 'environment' | 'file' | 'generated' {
  if (config.secretKeys) return 'environment';
  if (config.env === 'production' && !opts.generate) {
    throw new ConfigError([`HOOKFLOW_SECRET_KEYS: is required in production (not set): it encrypts the signing secrets stored in PostgreSQL; ${HOW_TO_MAKE_A_KEY}`]);
  }
  const file = path.join(path.resolve(config.dataDir), FILE);
  if (existsSync(file)) {
    const spec = readFileSync(file, 'utf8').trim();
    const problems = keyRingProblems(spec);
    if (problems.length > 0) throw new ConfigError([`${file}: ${problems.join('; ')}`]);
    config.secretKeys = spec;
    return 'file';
  }
  if (!opts.generate) {
    throw new ConfigError([`HOOKFLOW_SECRET_KEYS: is not set, and there is no ${file} from \`hookflow dev\` to fall back on; ${HOW_TO_MAKE_A_KEY}`]);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const spec = `dev1:${randomBytes(32).toString('base64')}`;
  // 0600 and no overwrite: losing this file makes every stored signing secret unreadable.
  writeFileSync(file, `${spec}\n`, { mode: 0o600, flag: 'wx' });
  config.secretKeys = spec;
  return 'generated';
}
