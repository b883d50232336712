// Turns "PostgreSQL exited with code 1" plus its own last log lines into what failed, why and what
// to do. The patterns are PostgreSQL's message texts (LC_MESSAGES=C keeps them in English).
import type { StartProblem } from './start-error';
import { holdersOf } from './ports';

interface Known {
  pattern: RegExp;
  why: (line: string, o: Ctx) => string;
  todo: (o: Ctx) => string;
}

interface Ctx {
  dataDir: string;
  port: number;
  portSetting?: string;
}

const KNOWN: Known[] = [
  {
    pattern: /could not bind|Address already in use|could not create any TCP\/IP sockets/i,
    why: (line, o) => `port ${o.port} is taken${holdersOf(o.port) ? ` by ${holdersOf(o.port)}` : ''} (${line.trim()})`,
    todo: (o) => `stop the process on port ${o.port}, or choose another port with ${o.portSetting ?? 'the port option'}=<port>`,
  },
  {
    pattern: /lock file "postmaster\.pid" already exists/i,
    why: (line) => `another PostgreSQL claims this data directory (${line.trim()})`,
    todo: (o) => `if no PostgreSQL runs on ${o.dataDir}, remove ${o.dataDir}/postmaster.pid and start again; otherwise stop that server first`,
  },
  {
    pattern: /pre-existing shared memory block .* is still in use/i,
    why: () => 'processes of a previous PostgreSQL on this data directory are still running',
    todo: () => 'wait a few seconds for them to exit (or stop them: ps -u postgres) and start again',
  },
  {
    pattern: /database files are incompatible with server/i,
    why: (line) => `the data directory was made by another PostgreSQL version (${line.trim()})`,
    todo: (o) => `move ${o.dataDir} aside (it keeps your data) and start again to create a fresh one`,
  },
  {
    pattern: /configuration file .* contains errors|syntax error in file|unrecognized configuration parameter|invalid value for parameter/i,
    why: (line) => `its configuration is invalid (${line.trim()})`,
    todo: (o) => `fix or remove the named setting (postgresql.conf / postgresql.auto.conf in ${o.dataDir})`,
  },
  {
    pattern: /Permission denied|has wrong ownership|has invalid permissions/i,
    why: (line) => `it may not use its files (${line.trim()})`,
    todo: (o) => `make ${o.dataDir} owned by the user PostgreSQL runs as, with mode 0700`,
  },
];

export function explainPostgresExit(why: string, tail: string[], o: Ctx): Pick<StartProblem, 'what' | 'why' | 'todo'> {
  const what = `embedded PostgreSQL did not start (data directory ${o.dataDir}, port ${o.port})`;
  // The last FATAL/PANIC line is usually the reason; fall back to any line a known pattern matches.
  const fatal = [...tail].reverse().find((l) => /\b(FATAL|PANIC)\b/.test(l));
  for (const k of KNOWN) {
    const line = [fatal, ...tail].find((l) => l !== undefined && k.pattern.test(l));
    if (line) return { what, why: `${why}: ${k.why(line, o)}`, todo: k.todo(o) };
  }
  return {
    what,
    why: fatal ? `${why}: ${fatal.trim()}` : why,
    todo: 'read its log below; when the data directory itself is damaged, move it aside and start again',
  };
}
