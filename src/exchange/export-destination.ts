import { randomBytes } from "node:crypto";
import { constants, promises as fs, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import type { Writable } from "node:stream";
import { SkillMetricsError, StorageError } from "../errors";

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
 * Opens a destination. What a path names decides how it is written:
 * - a regular file, or a name that does not exist yet: written under `<name>.tmp-<random>` in the same
 *   directory, fsynced and renamed over the name only on success, so a failed export never leaves a half file
 *   under that name;
 * - a symbolic link: followed; the link stays a link and its target is written as above (or, when the target
 *   is no regular file, through);
 * - a FIFO, a character device (`/dev/null`, a terminal) or anything under `/dev/` or `/proc/`
 *   (`/dev/stdout`, `/dev/fd/3`): opened for writing as it is, never created, truncated or replaced;
 * - a directory or a socket: refused.
 * A write that fails (ENOSPC, EPIPE, …) throws a StorageError naming the path and the cause.
 *
 * @throws StorageError when the destination cannot be opened.
 */
export async function openDestination(
  destination: ExportDestination,
  options: DestinationOptions = {},
): Promise<DestinationWriter> {
  if (typeof destination !== "string") return wrapWritable(destination, options.end ?? true);
  const target = await resolveDestination(destination);
  if (target.kind === "through") return openThrough(destination);
  return openFile(destination, target.path);
}

/** How a path is written: through (as it is), or replaced atomically at `path` (the link's target, if any). */
type ResolvedDestination = { kind: "through" } | { kind: "replace"; path: string };

/** The names of this process's standard output and error, for {@link openThrough}'s fallback. */
const STANDARD_STREAM_PATHS = new Map<string, () => Writable>([
  ...["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].map((name) => [name, () => process.stdout as Writable] as const),
  ...["/dev/stderr", "/dev/fd/2", "/proc/self/fd/2"].map((name) => [name, () => process.stderr as Writable] as const),
]);

/** Paths whose files are the process's or the kernel's: written through even when they resolve to a file. */
const SPECIAL_PREFIXES = ["/dev/", "/proc/"];

async function resolveDestination(destination: string): Promise<ResolvedDestination> {
  const absolute = path.resolve(destination);
  if (SPECIAL_PREFIXES.some((prefix) => absolute.startsWith(prefix))) return { kind: "through" };
  let link: Stats;
  try {
    link = await fs.lstat(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "replace", path: absolute };
    throw new StorageError(`Cannot write ${destination}`, error);
  }
  if (!link.isSymbolicLink()) return classify(destination, link, absolute);
  const real = await realTarget(absolute);
  if (SPECIAL_PREFIXES.some((prefix) => real.startsWith(prefix))) return { kind: "through" };
  try {
    return classify(destination, await fs.stat(real), real);
  } catch (error) {
    // A dangling link: its target is created (by rename), the link stays.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "replace", path: real };
    throw new StorageError(`Cannot write ${destination}`, error);
  }
}

function classify(destination: string, stats: Stats, real: string): ResolvedDestination {
  if (stats.isFile()) return { kind: "replace", path: real };
  if (stats.isFIFO() || stats.isCharacterDevice()) return { kind: "through" };
  const what = stats.isDirectory() ? "a directory" : stats.isSocket() ? "a socket" : "not a regular file, FIFO or device";
  throw refused(`Cannot write ${destination}: it is ${what}`);
}

/**
 * Where a path finally points after every symbolic link, also when the last target does not exist (a
 * dangling link, or a name not created yet: then its directory is resolved).
 */
export async function realTarget(link: string): Promise<string> {
  let current = link;
  for (let hops = 0; hops < 40; hops++) {
    try {
      return await fs.realpath(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new StorageError(`Cannot write ${link}`, error);
    }
    let stats: Stats;
    try {
      stats = await fs.lstat(current);
    } catch {
      // The last hop does not exist: the parent directory must, and is resolved for real.
      return path.join(await fs.realpath(path.dirname(current)).catch(() => path.dirname(current)), path.basename(current));
    }
    if (!stats.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), await fs.readlink(current));
  }
  throw refused(`Cannot write ${link}: too many levels of symbolic links`);
}

/** A destination this module will not write, whatever the permissions (code `SKILL_METRICS_DESTINATION_REFUSED`). */
function refused(message: string): SkillMetricsError {
  return new SkillMetricsError(message, { code: "SKILL_METRICS_DESTINATION_REFUSED" });
}

async function openFile(destination: string, finalPath: string): Promise<DestinationWriter> {
  const tempPath = `${finalPath}.tmp-${randomBytes(6).toString("hex")}`;
  return handleWriter(await openHandle(tempPath, "wx", destination), destination, {
    async commit(handle, close) {
      try {
        await handle.sync();
        await close();
        await fs.rename(tempPath, finalPath);
      } catch (error) {
        throw new StorageError(`Writing ${destination} failed`, error);
      }
      await syncDirectory(path.dirname(finalPath));
    },
    async abort() {
      await fs.rm(tempPath, { force: true }).catch(() => undefined);
    },
  });
}

/**
 * A FIFO, a device or a /dev, /proc path: opened write-only for appending (what the shell's `>` made empty
 * stays in place; a terminal or pipe has no position), never created, truncated or renamed.
 */
async function openThrough(destination: string): Promise<DestinationWriter> {
  let handle: FileHandle;
  try {
    handle = await openHandle(destination, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY, destination);
  } catch (error) {
    // Linux cannot open /proc/self/fd/N when N is a socket (ENXIO), which is what a parent process written in
    // Node gives its child as stdout/stderr: the standard stream is then written as the stream it is.
    const standard = STANDARD_STREAM_PATHS.get(path.resolve(destination));
    if (standard !== undefined && (error as { cause?: NodeJS.ErrnoException }).cause?.code === "ENXIO") return wrapWritable(standard(), false);
    throw error;
  }
  return handleWriter(handle, destination, {
    async commit(_handle, close) {
      try {
        await close();
      } catch (error) {
        throw new StorageError(`Writing ${destination} failed`, error);
      }
    },
  });
}

async function openHandle(file: string, flags: string | number, destination: string): Promise<FileHandle> {
  try {
    return await fs.open(file, flags);
  } catch (error) {
    throw new StorageError(`Cannot write ${destination}`, error);
  }
}

/**
 * A DestinationWriter over an open file handle: counts the bytes written, closes the handle once; `commit` and
 * `abort` add what the kind of destination needs (the rename of a temporary file, its removal).
 */
function handleWriter(
  handle: FileHandle,
  destination: string,
  steps: { commit(handle: FileHandle, close: () => Promise<void>): Promise<void>; abort?(): Promise<void> },
): DestinationWriter {
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
      bytes += await writeAll(handle, chunk, destination);
    },
    commit: () => steps.commit(handle, close),
    async abort() {
      await close().catch(() => undefined);
      await steps.abort?.();
    },
  };
}

/** Writes every byte of `chunk` (a pipe may take part of it), naming the destination when the OS refuses. */
async function writeAll(handle: FileHandle, chunk: string, destination: string): Promise<number> {
  const buffer = Buffer.from(chunk, "utf8");
  let offset = 0;
  try {
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  } catch (error) {
    throw new StorageError(`Writing ${destination} failed`, error);
  }
  return buffer.length;
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
  const label =
    stream === (process.stdout as Writable) ? "standard output" : stream === (process.stderr as Writable) ? "standard error" : "the destination stream";
  const failed = (error: unknown) => new StorageError(`Writing ${label} failed`, error);
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
        stream.off("error", errored);
        stream.off("close", closed);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const errored = (error: Error) => {
        cleanup();
        reject(error);
      };
      const closed = () => {
        cleanup();
        reject(failure ?? new Error("the destination stream closed before the export finished"));
      };
      stream.once(event, done);
      stream.once("error", errored);
      stream.once("close", closed);
    });
  return {
    get bytes() {
      return bytes;
    },
    async write(chunk) {
      try {
        if (failure) throw failure;
        if (stream.destroyed || stream.writableEnded) throw new Error("the destination stream is closed");
        bytes += Buffer.byteLength(chunk, "utf8");
        if (!stream.write(chunk)) await waitFor("drain");
        if (failure) throw failure;
      } catch (error) {
        throw failed(error);
      }
    },
    async commit() {
      try {
        if (failure) throw failure;
        const isStdio = stream === (process.stdout as Writable) || stream === (process.stderr as Writable);
        if (end && !isStdio) {
          const finished = waitFor("finish");
          stream.end();
          await finished;
        } else if (isStdio && !stream.destroyed && !stream.writableEnded) {
          // What is still buffered (standard output on a pipe) may yet fail with EPIPE: wait until it is out.
          await new Promise<void>((resolve, reject) => stream.write("", (error) => (error ? reject(error) : resolve())));
        }
        if (failure) throw failure;
        detach();
      } catch (error) {
        throw failed(error);
      }
    },
    async abort() {
      // The listener stays: the stream is the caller's, and an error it emits later must not crash the process.
    },
  };
}
