/**
 * Waits for `work` to settle, but at most `millis` milliseconds; the work goes on in the background after
 * that. The timer is unref()'d, so waiting never keeps the process alive by itself.
 *
 * @returns true when the deadline passed first, false when the work settled (resolved or rejected) in time.
 */
export async function settleWithin(work: Promise<unknown>, millis: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), millis);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => false, () => false), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
