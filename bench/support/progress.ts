// One progress line on stderr: redrawn in place on a terminal, printed every few seconds otherwise
// (CI logs), so a long run never looks hung.
const tty = process.stderr.isTTY === true;
const WIDTH = 28;

export interface Progress {
  update(done: number, total: number, note?: string): void;
  done(summary: string): void;
}

export function progress(label: string): Progress {
  const started = Date.now();
  let lastPrint = 0;
  const line = (done: number, total: number, note = '') => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    return `${label.padEnd(22)} ${bar} ${String(done).padStart(6)}/${total} ${secs.padStart(6)}s ${note}`;
  };
  return {
    update(done, total, note) {
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line(done, total, note)}`);
      } else if (Date.now() - lastPrint > 5_000) {
        lastPrint = Date.now();
        process.stderr.write(`${line(done, total, note)}\n`);
      }
    },
    done(summary) {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(`${tty ? '\r\x1b[2K' : ''}✔ ${label.padEnd(22)} ${summary} (${secs}s)\n`);
    },
  };
}

export const say = (text: string): void => void process.stderr.write(`${tty ? '\r\x1b[2K' : ''}[bench] ${text}\n`);
