/**
 * The recorder's writer thread: owns a connection of its own to the metrics database and writes the batches it
 * receives, replying for each once its COMMIT has succeeded (or the failed write has been rolled back). The
 * application's thread only builds rows and posts batches; the SQL work, parameter binding included, happens
 * here. Batches are written in the order they arrive.
 *
 * Batches that queued up while a write ran are written together, in one transaction: one COMMIT (one fsync on
 * SQLite) instead of one per batch, which is what keeps up with a sustained stream. When such a group fails, its
 * batches are written again one by one, so that each reply says what happened to that batch alone (the recorder
 * isolates a refused row within its batch).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ExecutionMetricRow } from "../../model/execution-metric-columns";
import { decodeBatch } from "./batch-codec";
import { PostgresBatchWriter } from "./postgres-batch-writer";
import { SqliteBatchWriter } from "./sqlite-batch-writer";
import type { BatchWriter, WriteReply, WriteRequest, WriterConfig } from "./writer-protocol";

/**
 * Most rows written in one transaction when batches queue up: bounds the work a failure makes to redo, and the
 * time the first batch of a group waits for its reply (the recorder's write deadline runs meanwhile).
 */
const MAX_GROUP_ROWS = 2_000;

const config = workerData as WriterConfig;
const writer: BatchWriter = config.kind === "postgres" ? new PostgresBatchWriter(config) : new SqliteBatchWriter(config);
const waiting: (WriteRequest | "close")[] = [];
let draining = false;

parentPort!.on("message", (message: WriteRequest | "close") => {
  waiting.push(message);
  if (!draining) void drain();
});

async function drain(): Promise<void> {
  draining = true;
  try {
    while (waiting.length > 0) {
      if (waiting[0] === "close") {
        waiting.shift();
        await writer.close();
        parentPort!.close();
        return;
      }
      await writeGroup(takeGroup());
    }
  } finally {
    draining = false;
  }
}

/** The write requests at the head of the queue, up to MAX_GROUP_ROWS rows (at least one request). */
function takeGroup(): WriteRequest[] {
  const group: WriteRequest[] = [];
  let rows = 0;
  while (waiting.length > 0 && waiting[0] !== "close") {
    const next = waiting[0] as WriteRequest;
    if (group.length > 0 && rows + next.batch.count > MAX_GROUP_ROWS) break;
    group.push(next);
    rows += next.batch.count;
    waiting.shift();
  }
  return group;
}

async function writeGroup(group: readonly WriteRequest[]): Promise<void> {
  const batches = group.map((request) => decodeBatch(request.batch));
  const outcome = await attempt(batches.length === 1 ? batches[0] : batches.flat());
  if (outcome === null || group.length === 1) {
    for (const request of group) reply(request.id, outcome);
    return;
  }
  for (let i = 0; i < group.length; i++) reply(group[i].id, await attempt(batches[i]));
}

/** Writes rows in one transaction: null once committed, else the failure. */
async function attempt(rows: readonly ExecutionMetricRow[]): Promise<unknown> {
  try {
    await writer.write(rows);
    return null;
  } catch (error) {
    return error ?? new Error("write failed");
  }
}

function reply(id: number, failure: unknown): void {
  let message: WriteReply;
  if (failure === null) {
    message = { id, ok: true };
  } else {
    const { message: text, code } = failure as { message?: unknown; code?: unknown };
    message = { id, ok: false, message: typeof text === "string" ? text : String(failure), code: typeof code === "string" ? code : undefined };
  }
  parentPort!.postMessage(message);
}
