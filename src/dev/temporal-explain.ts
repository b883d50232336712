// Turns a Temporal dev server that did not come up, plus its own last log lines, into what failed,
// why and what to do. SQLite recovers a file left mid-write by itself (its WAL or rollback journal
// is replayed on open); what it cannot recover is a file that is not, or no longer, a database.
import type { StartProblem } from './start-error';
import { holdersOf } from './ports';

interface Ctx {
  bin: string;
  port: number;
  uiPort?: number;
  dbFilename?: string;
  settings?: { port: string; uiPort: string };
}

export function explainDevServerExit(why: string, tail: string[], o: Ctx): Pick<StartProblem, 'what' | 'why' | 'todo'> {
  const what = `the Temporal dev server (${o.bin}) did not come up on port ${o.port}`;
  const text = tail.join('\n');
  const error = [...tail].reverse().find((l) => /level=(ERROR|FATAL)|panic:|Error:/i.test(l));
  const db = o.dbFilename;
  if (db && /file is not a database|database disk image is malformed|unable to open database file|SQLITE_CORRUPT|SQLITE_NOTADB/i.test(text)) {
    return {
      what,
      why: `${why}: its SQLite file ${db} cannot be read as a database (${(error ?? '').trim() || 'see the log'})`,
      todo:
        `move the file aside and start again with a fresh one: mv ${db} ${db}.broken (and ${db}-wal, ${db}-shm if present). ` +
        'The workflows recorded in it are lost; events and attempt logs stay in PostgreSQL.',
    };
  }
  if (db && /database is locked|SQLITE_BUSY/i.test(text)) {
    return { what, why: `${why}: another process holds ${db} open`, todo: `stop the other Temporal server using ${db} (fuser ${db} names it) and start again` };
  }
  const busy = /address already in use/i.exec(text);
  if (busy) {
    const ports = [o.port, o.uiPort].filter((p): p is number => p !== undefined);
    const held = ports.map((p) => [p, holdersOf(p)] as const).filter(([, h]) => h);
    const named = held.length > 0 ? held.map(([p, h]) => `port ${p} is held by ${h}`).join('; ') : 'one of its ports was taken';
    return {
      what,
      why: `${why}: ${named}`,
      todo: o.settings ? `stop that process, or choose other ports with ${o.settings.port} / ${o.settings.uiPort}` : 'stop that process and start again',
    };
  }
  return {
    what,
    why: error ? `${why}: ${error.trim()}` : why,
    todo: 'read its log below; if it names its database file, move that file aside and start again',
  };
}
