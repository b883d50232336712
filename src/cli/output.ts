// How the people's commands print: readable tables by default, the API's JSON with --json.
import Table from 'cli-table3';
import { styleText } from 'node:util';

export const out = (line = ''): void => void process.stdout.write(`${line}\n`);
export const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));

/** Colour only on a terminal, so piped output and tests see plain text. */
export const style = (format: Parameters<typeof styleText>[0], text: string) => (process.stdout.isTTY ? styleText(format, text) : text);

export function printTable(head: string[], rows: (string | number | null | undefined)[][]): void {
  const table = new Table({
    head,
    style: { head: process.stdout.isTTY ? ['bold'] : [], border: [], 'padding-left': 0, 'padding-right': 0 },
    // Compact: one line a row, so long lists stay scannable.
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const row of rows) table.push(row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  out(table.toString().split('\n').map((l) => l.trimEnd()).join('\n'));
}

/** Label/value pairs, aligned. */
export function printFields(fields: [string, string | number | null | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) if (v !== undefined) out(`${k.padEnd(width)}  ${v === null ? '-' : v}`);
}

/** "2025-01-31 12:00:05" in local time: what a person reads; --json keeps the ISO value. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const oneLine = (s: string | null | undefined, max = 60) => {
  if (!s) return '-';
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
