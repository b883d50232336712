// Which TCP connections a process holds, from /proc: with several workers sending to one receiver,
// the sender's local port is what ties a request the receiver saw to the worker that sent it.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

/**
 * The local ports of `pid`'s TCP connections to any of `remotePorts`. Call it while the process is
 * stopped (SIGSTOP), so the answer cannot change before it is used.
 */
export function connectionPorts(pid: number, remotePorts: Iterable<number>): Set<number> {
  const wanted = new Set(remotePorts);
  const inodes = socketInodes(pid);
  const ports = new Set<number>();
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      const local = parseInt(f[1]!.split(':')[1]!, 16);
      const remote = parseInt(f[2]!.split(':')[1]!, 16);
      if (wanted.has(remote)) ports.add(local);
    }
  }
  return ports;
}
