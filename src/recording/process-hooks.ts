/**
 * One set of process listeners shared by every live recorder, so that creating many recorders (tests,
 * several collectors) never piles up listeners or triggers MaxListenersExceededWarning, and so that the last
 * recorder to shut down leaves the process exactly as it found it.
 */

/** What a recorder does when the process is about to end. */
export interface ExitParticipant {
  /** True when this participant asked for SIGINT/SIGTERM handling. */
  readonly handlesSignals: boolean;
  /** The event loop emptied: start an asynchronous write of whatever is queued (if anything). */
  onBeforeExit(): void;
  /** A signal arrived: save everything unwritten synchronously (the process may go on if the app handles it). */
  saveSync(): void;
  /** The process is ending now (exit, or death by a signal): save everything unwritten synchronously, report, stop for good. */
  onExit(): void;
  /** Writes what it can; resolves when done (the caller bounds the wait). */
  flush(): Promise<void>;
}

/** How long a signal handler waits for writes before re-raising the signal, in milliseconds. */
const SIGNAL_FLUSH_LIMIT_MILLIS = 3000;
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

const participants = new Set<ExitParticipant>();
let exitListenersAttached = false;
let signalListenersAttached = false;
/** Set once a signal arrived: from then on our handlers stay off, so the re-raised signal is not caught again. */
let signalReceived = false;

const onBeforeExit = (): void => {
  for (const participant of participants) participant.onBeforeExit();
};

const onExit = (): void => {
  for (const participant of participants) participant.onExit();
};

const signalHandlers = new Map<NodeJS.Signals, () => void>(
  SIGNALS.map((signal) => [signal, () => void handleSignal(signal)]),
);

/** Adds a participant; attaches the shared listeners it needs. */
export function registerExitParticipant(participant: ExitParticipant): void {
  participants.add(participant);
  sync();
}

/** Removes a participant; detaches listeners nobody needs any more. */
export function unregisterExitParticipant(participant: ExitParticipant): void {
  participants.delete(participant);
  sync();
}

function sync(): void {
  const wantExit = participants.size > 0;
  if (wantExit && !exitListenersAttached) {
    process.on("beforeExit", onBeforeExit);
    process.on("exit", onExit);
  } else if (!wantExit && exitListenersAttached) {
    process.removeListener("beforeExit", onBeforeExit);
    process.removeListener("exit", onExit);
  }
  exitListenersAttached = wantExit;

  const wantSignals = [...participants].some((p) => p.handlesSignals);
  if (wantSignals && !signalListenersAttached && !signalReceived) attachSignals();
  else if (!wantSignals && signalListenersAttached) detachSignals();
}

function attachSignals(): void {
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
  signalListenersAttached = true;
}

function detachSignals(): void {
  for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
  signalListenersAttached = false;
}

/**
 * Saves first (synchronously, so a second Ctrl+C or a SIGKILL after the grace period loses nothing), then
 * gives the writes a bounded time to move the saved rows into the database, saves again what arrived or is
 * still in flight, then re-raises the signal with our handlers gone so the default behaviour (death by the
 * signal, exit code 128+n) is kept. When the
 * application has its own handler for the signal, it decides instead: we do not re-raise.
 */
async function handleSignal(signal: NodeJS.Signals): Promise<void> {
  signalReceived = true;
  detachSignals();
  const current = [...participants];
  for (const participant of current) participant.saveSync();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SIGNAL_FLUSH_LIMIT_MILLIS);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(current.map((p) => p.flush())), limit]);
  clearTimeout(timer);
  if (process.listenerCount(signal) > 0) return;
  // Calls that completed during the grace period were queued after the flush began, and a batch may still be
  // in flight: the process dies by the signal without an exit event, so this is their last chance — and the
  // recorders' last chance to report what they could not save.
  for (const participant of participants) participant.onExit();
  process.kill(process.pid, signal);
}
