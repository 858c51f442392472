/**
 * A gate in shared memory between the application's thread and a SQLite writer thread, so that the process never
 * ends while the thread has a node-sqlite3 call in flight: node-sqlite3 completes each call on the thread's event
 * loop, and a thread torn down with a call pending aborts the whole process (napi_throw, exit code 134;
 * reproduced with process.exit() during a stream of inserts).
 *
 * The thread passes the gate for each driver call (`enter` … `leave`); the application's thread, when the
 * process exits, `shut`s it: it waits until no call is in flight and closes it, so the thread starts no other.
 * The thread is then torn down idle, which is safe; a transaction it had open is rolled back by SQLite, and
 * its rows were saved to the spill file by the recorder, which keeps every row until the thread reports its
 * COMMIT (a row committed just before the exit is in both places; the replay skips it by execution_id).
 *
 * A second word says the writes still queued were abandoned (a shutdown that missed its deadline): the thread
 * stops waiting for locks and fails them at once.
 */

const IDLE = 0;
const BUSY = 1;
const SHUT = 2;
/** Word 0: IDLE, BUSY or SHUT. Word 1: 1 once abandoned. */
const STATE = 0;
const ABANDONED = 1;

/** The shared memory of a gate: two Int32 words. */
export function newGateMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

/** One side's view of a gate's shared memory. */
export class CallGate {
  private readonly words: Int32Array;

  constructor(memory: SharedArrayBuffer) {
    this.words = new Int32Array(memory);
  }

  /** Writer thread: true when the call may start (the gate is now BUSY); false once shut. */
  enter(): boolean {
    return Atomics.compareExchange(this.words, STATE, IDLE, BUSY) === IDLE;
  }

  /** Writer thread: the call has completed (its callback ran). */
  leave(): void {
    Atomics.compareExchange(this.words, STATE, BUSY, IDLE);
    Atomics.notify(this.words, STATE);
  }

  /**
   * Application's thread, as the process exits: waits (blocking, at most `timeoutMillis`) until no call is in
   * flight, then shuts the gate for good. Returns false when a call was still in flight at the timeout.
   */
  shut(timeoutMillis: number): boolean {
    const until = Date.now() + timeoutMillis;
    for (;;) {
      const previous = Atomics.compareExchange(this.words, STATE, IDLE, SHUT);
      if (previous !== BUSY) return true;
      const left = until - Date.now();
      if (left <= 0) return false;
      Atomics.wait(this.words, STATE, BUSY, left);
    }
  }

  /** Application's thread: the writer thread has ended, so no call of it is in flight (a new one may start). */
  reset(): void {
    Atomics.compareExchange(this.words, STATE, BUSY, IDLE);
    Atomics.notify(this.words, STATE);
  }

  /** Application's thread: the writes still queued are abandoned; wakes a thread waiting between attempts. */
  abandon(): void {
    Atomics.store(this.words, ABANDONED, 1);
    Atomics.notify(this.words, ABANDONED);
  }

  get abandoned(): boolean {
    return Atomics.load(this.words, ABANDONED) === 1;
  }

  /** Writer thread: sleeps up to `millis` between attempts to take a lock; an abandon wakes it early. */
  pause(millis: number): void {
    Atomics.wait(this.words, ABANDONED, 0, millis);
  }
}
