// Holds a write transaction (BEGIN IMMEDIATE) on a SQLite file until the parent writes a line to stdin, so a
// test can keep the database locked for exactly as long as it needs, without timing anything.
// Usage: node hold-write-lock.js <database path>
"use strict";
const sqlite3 = require("sqlite3");

const db = new sqlite3.Database(process.argv[2]);
db.exec("PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; DELETE FROM execution_metrics WHERE 0;", (error) => {
  if (error) {
    console.error(error.message);
    process.exit(2);
  }
  process.stdout.write("locked\n");
  process.stdin.once("data", () => {
    db.exec("COMMIT", () => db.close(() => process.exit(0)));
  });
});
