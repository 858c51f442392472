// Reports recording problems to an ErrorReporter whose onError handler is an async function that throws (so
// every call returns a rejecting promise), with a 60 s interval, and then simply lets the process end: it must
// end at once with exit code 0 (no unhandled rejection; the interval's timer does not keep it alive). On exit
// it prints one JSON line: { calls, handlerFailures }. Runs the TypeScript source through ts-node, since dist/
// may be stale. Usage: node rejecting-on-error.js [path/to/ErrorReporter.ts]
"use strict";

const path = require("node:path");

require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "../../tsconfig.json") });
const { ErrorReporter } = require(process.argv[2] ?? path.join(__dirname, "../../src/recording/ErrorReporter"));

let calls = 0;
const reporter = new ErrorReporter(
  async () => {
    calls++;
    throw new Error("a bug in the user's onError");
  },
  { intervalMillis: 60_000 },
);

process.on("exit", () => {
  process.stdout.write(`${JSON.stringify({ calls, handlerFailures: reporter.handlerFailures })}\n`);
});

reporter.report(new Error("write failed"));
reporter.report(new TypeError("another kind"));
// A flood of one kind: counted toward a summary due in 60 s, which the process does not wait for.
for (let i = 0; i < 1000; i++) reporter.report(new Error(`The recording queue is full: ${i} rows were saved`));
