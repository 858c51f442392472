/**
 * The recorder's writer thread: owns a connection of its own to the metrics database and writes each batch it
 * receives in one transaction, replying once the COMMIT has succeeded (or the failed write has been rolled
 * back). The application's thread only builds rows and posts batches; the SQL work, parameter binding
 * included, happens here. Batches are written one after the other, in the order they arrive.
 */
import { parentPort, workerData } from "node:worker_threads";
import { decodeBatch } from "./batch-codec";
import { PostgresBatchWriter } from "./postgres-batch-writer";
import { SqliteBatchWriter } from "./sqlite-batch-writer";
import type { BatchWriter, WriteReply, WriteRequest, WriterConfig } from "./writer-protocol";

const config = workerData as WriterConfig;
const writer: BatchWriter = config.kind === "postgres" ? new PostgresBatchWriter(config) : new SqliteBatchWriter(config);
/** The previous message's work: each message waits for it, so batches commit in order. */
let previous: Promise<void> = Promise.resolve();

parentPort!.on("message", (message: WriteRequest | "close") => {
  // handle() answers every request itself; the catch only keeps one unexpected throw from stopping the chain.
  previous = previous.then(() => handle(message)).catch(() => undefined);
});

async function handle(message: WriteRequest | "close"): Promise<void> {
  if (message === "close") {
    await writer.close();
    parentPort!.close();
    return;
  }
  let reply: WriteReply;
  try {
    await writer.write(decodeBatch(message.batch));
    reply = { id: message.id, ok: true };
  } catch (error) {
    const { message: text, code } = error as { message?: unknown; code?: unknown };
    reply = {
      id: message.id,
      ok: false,
      message: typeof text === "string" ? text : String(error),
      code: typeof code === "string" ? code : undefined,
    };
  }
  parentPort!.postMessage(reply);
}
