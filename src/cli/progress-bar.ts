// A one-line progress bar on a terminal (stderr), redrawn at most 10 times a second; nothing at
// all when stderr is not a terminal, so that logs and pipes only get the notes.
const WIDTH = 30;
const REDRAW_MS = 100;

export type ProgressBar = Readonly<{
  /** Shows `done` of `total` (total 0: unknown yet) with `label` after the bar. */
  update(done: number, total: number, label: string): void;
  /** Leaves the last state on its line and moves to the next one. */
  finish(): void;
}>;

export function progressBar(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProgressBar {
  if (!stream.isTTY) return { update() {}, finish() {} };
  let drawn = 0;
  let last = '';
  const draw = (line: string) => {
    last = line;
    stream.write(`\r${line}\u001b[K`);
  };
  return {
    update(done, total, label) {
      const line = renderBar(done, total, label);
      const at = now();
      if (at - drawn < REDRAW_MS && done < total) return void (last = line);
      drawn = at;
      draw(line);
    },
    finish() {
      if (last !== '') draw(last);
      if (drawn !== 0 || last !== '') stream.write('\n');
    },
  };
}

/** `[########----------------------]  27% 2,700/10,000 orders`, or a spinner-free `… label` while the total is unknown. */
export function renderBar(done: number, total: number, label: string): string {
  if (total <= 0) return `[${' '.repeat(WIDTH)}]   ?% ${label}`;
  const share = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(share * WIDTH);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent} ${label}`;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
