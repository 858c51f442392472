/** Reports progress of a long export or import. */
export interface Progress {
  update(done: number, total?: number): void;
  finish(): void;
}

const WIDTH = 30;
/** Redraws at most this often, in milliseconds: a redraw per page would cost more than the page. */
const REDRAW_MILLIS = 100;

/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal; otherwise every call does nothing,
 * so that piped and logged output stays clean.
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < REDRAW_MILLIS) return;
      last = now;
      drawn = true;
      if (total && total > 0) {
        const fraction = Math.min(1, done / total);
        const filled = Math.round(fraction * WIDTH);
        stream.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0)}% ${done}/${total}`);
      } else {
        stream.write(`\r${label} ${done}`);
      }
    },
    finish() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}
