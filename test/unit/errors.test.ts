import * as net from "node:net";
import { DatabaseError, Client } from "pg";
import { QueryFailedError } from "typeorm";
import {
  ConfigurationError,
  MetricValidationError,
  NotFoundError,
  SkillMetricsError,
  StorageError,
} from "../../src/errors";

/** A pg DatabaseError as pg's protocol parser builds it from a server's ErrorResponse. */
function serverError(message: string, code: string): DatabaseError {
  const error = new DatabaseError(message, 100, "error");
  error.severity = "FATAL";
  error.code = code;
  return error;
}

/** The real error pg gives when nothing listens on the port: connect ECONNREFUSED. */
async function connectionRefused(): Promise<Error> {
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const client = new Client({ host: "127.0.0.1", port, user: "nobody", database: "none" });
  try {
    await client.connect();
  } catch (error) {
    return error as Error;
  }
  await client.end();
  throw new Error("expected ECONNREFUSED");
}

describe("StorageError.sqlState", () => {
  it("is the SQLSTATE of a pg server error given as the cause (too many clients: 53300)", () => {
    const error = new StorageError("Opening the metrics database failed", serverError("sorry, too many clients already", "53300"));
    expect(error.sqlState).toBe("53300");
    expect(error.code).toBe("53300");
    expect(error.message).toBe("Opening the metrics database failed: sorry, too many clients already");
  });

  it("is read from TypeORM's QueryFailedError.driverError (terminated backend: 57P01)", () => {
    const driverError = serverError("terminating connection due to administrator command", "57P01");
    const failed = new QueryFailedError("SELECT 1", [], driverError);
    const error = new StorageError("Reading the metrics failed", failed);
    expect(error.sqlState).toBe("57P01");
    expect(error.cause).toBe(failed);
  });

  it("is found down a chain of causes", () => {
    const inner = serverError("connection failure", "08006");
    const outer = new Error("write failed", { cause: new Error("batch failed", { cause: inner }) });
    expect(new StorageError("Writing failed", outer).sqlState).toBe("08006");
  });

  it("is undefined for a refused connection (ECONNREFUSED is a Node errno code, not a SQLSTATE)", async () => {
    const refused = await connectionRefused();
    const error = new StorageError("Opening the metrics database failed", refused);
    expect(error.code).toBe("ECONNREFUSED");
    expect(error.sqlState).toBeUndefined();
  });

  it("is undefined for five-letter errno codes (EPIPE, EBUSY), SQLite codes and errors without a code", () => {
    for (const code of ["EPIPE", "EBUSY", "SQLITE_BUSY", "5300", "533000", "53p00"]) {
      const cause = Object.assign(new Error("x"), { code });
      expect(new StorageError("Writing failed", cause).sqlState).toBeUndefined();
    }
    expect(new StorageError("Writing failed", new Error("Connection terminated unexpectedly")).sqlState).toBeUndefined();
    expect(new StorageError("Writing failed", "a string").sqlState).toBeUndefined();
    expect(new StorageError("Writing failed", null).sqlState).toBeUndefined();
  });

  it("survives a cycle of causes", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(new StorageError("Writing failed", a).sqlState).toBeUndefined();
  });
});

describe("StorageError.wrap", () => {
  it("returns a SkillMetricsError unchanged", () => {
    const errors: SkillMetricsError[] = [
      new StorageError("Writing failed", new Error("disk full")),
      ConfigurationError.closed(),
      NotFoundError.execution("0190a000-0000-7000-8000-000000000000"),
      new MetricValidationError([{ field: "status", value: "x", rule: "isIn", message: "bad" }]),
    ];
    for (const error of errors) expect(StorageError.wrap(error, "Reading the skill profiles failed")).toBe(error);
  });

  it("wraps a driver error in a StorageError whose message starts with `what` and whose cause is the driver's error", async () => {
    const refused = await connectionRefused();
    const wrapped = StorageError.wrap(refused, "Reading the skill profiles failed");
    expect(wrapped).toBeInstanceOf(StorageError);
    expect(wrapped.name).toBe("StorageError");
    expect(wrapped.message.startsWith("Reading the skill profiles failed: ")).toBe(true);
    expect(wrapped.cause).toBe(refused);
    expect((wrapped as StorageError).code).toBe("ECONNREFUSED");
  });

  it("keeps the SQLSTATE of a wrapped QueryFailedError", () => {
    const failed = new QueryFailedError("SELECT 1", [], serverError("canceling statement due to statement timeout", "57014"));
    const wrapped = StorageError.wrap(failed, "Reading the metrics failed") as StorageError;
    expect(wrapped.sqlState).toBe("57014");
    expect(wrapped.message).toBe("Reading the metrics failed: canceling statement due to statement timeout");
  });

  it("wraps values that are not errors", () => {
    const wrapped = StorageError.wrap("socket hang up", "Writing failed");
    expect(wrapped).toBeInstanceOf(StorageError);
    expect(wrapped.message).toBe("Writing failed: socket hang up");
    expect(wrapped.cause).toBe("socket hang up");
  });
});
