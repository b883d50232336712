// A child's stdout and stderr go straight to a file under .hookflow/logs/, not through a pipe to us:
// the child then never depends on hookflow being alive (a Go program such as the Temporal CLI dies
// of SIGPIPE when it logs into a pipe whose reader is gone), and the log outlives a crash, so a
// failed start can quote the child's own last lines.
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';

// A log above this size is moved to <name>.log.1 (the older one dropped) when a child starts.
const ROTATE_BYTES = 10 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;

export interface ChildLog {
  file: string;
  /** Open for appending; pass it as the child's stdout and stderr, then close() once spawned. */
  fd: number;
  close(): void;
  /** The last `n` non-empty lines this child wrote since it was started. */
  tail(n?: number): string[];
}

export function openChildLog(dir: string, name: string): ChildLog {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.log`);
  if (existsSync(file) && statSync(file).size > ROTATE_BYTES) renameSync(file, `${file}.1`);
  const fd = openSync(file, 'a');
  const from = statSync(file).size;
  let open = true;
  return {
    file,
    fd,
    close() {
      if (open) closeSync(fd);
      open = false;
    },
    tail: (n = 15) => readTail(file, from, n),
  };
}

export function readTail(file: string, from: number, n: number): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const start = Math.max(from, size - TAIL_BYTES);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    return buf
      .toString('utf8')
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l.trim() !== '')
      .slice(-n);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
