import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Writable } from "node:stream";

/** Where an export goes: a file path, or any Writable stream. */
export type ExportDestination = string | Writable;

/**
 * An open destination. write() resolves when the chunk may be followed by another (backpressure); commit()
 * makes the result visible; abort() discards it. Exactly one of commit()/abort() is called.
 */
export interface DestinationWriter {
  write(chunk: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
}

/** Options of {@link openDestination}. */
export interface DestinationOptions {
  /** End a Writable destination when the export succeeds (default true; process.stdout/stderr are never ended). */
  end?: boolean;
}

/**
 * Opens a destination. A path is written under `<path>.tmp-<random>` in the same directory, fsynced and
 * renamed over the final name only on success, so a failed export never leaves a half file under that name.
 */
export async function openDestination(
  destination: ExportDestination,
  options: DestinationOptions = {},
): Promise<DestinationWriter> {
  if (typeof destination === "string") return openFile(destination);
  return wrapWritable(destination, options.end ?? true);
}

async function openFile(finalPath: string): Promise<DestinationWriter> {
  const tempPath = `${finalPath}.tmp-${randomBytes(6).toString("hex")}`;
  const handle = await fs.open(tempPath, "wx");
  let bytes = 0;
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      const buffer = Buffer.from(chunk, "utf8");
      await handle.write(buffer);
      bytes += buffer.length;
    },
    async commit() {
      await handle.sync();
      await close();
      await fs.rename(tempPath, finalPath);
      await syncDirectory(path.dirname(path.resolve(finalPath)));
    },
    async abort() {
      await close().catch(() => undefined);
      await fs.rm(tempPath, { force: true }).catch(() => undefined);
    },
  };
}

/** Makes the rename durable; not every platform lets a directory be opened, hence best effort. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await fs.open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

function wrapWritable(stream: Writable, end: boolean): DestinationWriter {
  let bytes = 0;
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  stream.on("error", onError);
  const detach = () => stream.off("error", onError);
  const waitFor = (event: "drain" | "finish") =>
    new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        stream.off(event, done);
        stream.off("error", failed);
        stream.off("close", closed);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const failed = (error: Error) => {
        cleanup();
        reject(error);
      };
      const closed = () => {
        cleanup();
        reject(failure ?? new Error("the destination stream closed before the export finished"));
      };
      stream.once(event, done);
      stream.once("error", failed);
      stream.once("close", closed);
    });
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      if (failure) throw failure;
      if (stream.destroyed || stream.writableEnded) throw new Error("the destination stream is closed");
      bytes += Buffer.byteLength(chunk, "utf8");
      if (!stream.write(chunk)) await waitFor("drain");
      if (failure) throw failure;
    },
    async commit() {
      if (failure) throw failure;
      const isStdio = stream === (process.stdout as Writable) || stream === (process.stderr as Writable);
      if (end && !isStdio) {
        const finished = waitFor("finish");
        stream.end();
        await finished;
      }
      detach();
    },
    async abort() {
      // The listener stays: the stream is the caller's, and an error it emits later must not crash the process.
    },
  };
}
