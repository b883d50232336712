// Which hookflow the people's commands talk to, and with which key. In a dev checkout both default
// to what `npm start` uses, so `npx hookflow send …` works there with nothing set.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHookflowClient, type HookflowClient } from '../client';
import { CliError } from './errors';

export interface ApiTarget {
  url: string;
  apiKey: string;
}

export function resolveApiTarget(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ApiTarget {
  const url = (env.HOOKFLOW_URL || `http://localhost:${env.PORT || 3000}`).replace(/\/+$/, '');
  if (env.HOOKFLOW_API_KEY) return { url, apiKey: env.HOOKFLOW_API_KEY };
  const keyFile = path.resolve(cwd, env.HOOKFLOW_DATA_DIR || '.hookflow', 'dev-api-key');
  try {
    return { url, apiKey: readFileSync(keyFile, 'utf8').trim() };
  } catch {
    throw new CliError(`no API key: set HOOKFLOW_API_KEY, or run this in a checkout where \`npm start\` has written ${path.relative(cwd, keyFile)}`);
  }
}

/** The target and a client for it; the CLI's commands call the API only through `hookflow/client`. */
export function connect(): ApiTarget & { client: HookflowClient } {
  const target = resolveApiTarget();
  return { ...target, client: createHookflowClient({ baseUrl: target.url, apiKey: target.apiKey }) };
}
