import type { Config } from "jest";

/**
 * Projects: the SDK's own tests compiled with experimentalDecorators (as src is); two consumer suites that
 * import the BUILT package the way users do, one compiled with standard (stage-3) decorators and one with
 * experimentalDecorators; and the packaging test (npm pack → a fresh project → tsc → node). Each project has
 * exactly one ts-jest transform: ts-jest caches its config per project (see docs/toolchain-notes.md).
 */
const tsJest = (tsconfig: string) => ({ "^.+\\.ts$": ["ts-jest", { tsconfig, isolatedModules: false }] as [string, object] });

const config: Config = {
  testTimeout: 60_000,
  coverageProvider: "v8",
  collectCoverageFrom: ["src/**/*.ts", "migrations/**/*.ts"],
  coverageReporters: ["text-summary", "json-summary"],
  // Issue 2's target: more than 90% of lines. Measured 95.8% when the threshold was set.
  coverageThreshold: { global: { lines: 90 } },
  // jest's own output, then one line per skipped suite saying why and how to run it.
  reporters: ["default", "<rootDir>/test/support/skipped-suites-reporter.js"],
  projects: [
    {
      displayName: "sdk",
      testEnvironment: "node",
      roots: ["<rootDir>/test/unit", "<rootDir>/test/integration"],
      testMatch: ["**/*.test.ts"],
      transform: tsJest("<rootDir>/tsconfig.json"),
      setupFiles: ["reflect-metadata"],
    },
    {
      // The HTML report opened in headless Chromium (test/support/find-chromium.js: Debian's /usr/bin/chromium first,
      // or SKILL_METRICS_CHROMIUM), driven by playwright-core.
      displayName: "e2e",
      testEnvironment: "node",
      roots: ["<rootDir>/test/e2e"],
      testMatch: ["**/*.test.ts"],
      transform: tsJest("<rootDir>/tsconfig.json"),
      setupFiles: ["reflect-metadata"],
    },
    {
      // The same entities, migrations and services on PostgreSQL: needs SKILL_METRICS_TEST_PG_URL, which
      // scripts/with-postgres.sh sets (`npm run test:pg`, and .ci/run around `npm test`). Without it the suite
      // fails under CI=true and is skipped with a message otherwise (test/postgres/pg-database.ts).
      displayName: "postgres",
      testEnvironment: "node",
      roots: ["<rootDir>/test/postgres"],
      testMatch: ["**/*.test.ts"],
      transform: tsJest("<rootDir>/tsconfig.json"),
      setupFiles: ["reflect-metadata"],
    },
    {
      displayName: "consumer-stage3",
      testEnvironment: "node",
      roots: ["<rootDir>/test/consumer-stage3"],
      testMatch: ["**/*.test.ts"],
      transform: tsJest("<rootDir>/test/consumer-stage3/tsconfig.json"),
      moduleNameMapper: { "^skill-metrics$": "<rootDir>/dist/src/index.js" },
    },
    {
      displayName: "consumer-legacy",
      testEnvironment: "node",
      roots: ["<rootDir>/test/consumer-legacy"],
      testMatch: ["**/*.test.ts"],
      transform: tsJest("<rootDir>/test/consumer-legacy/tsconfig.json"),
      moduleNameMapper: { "^skill-metrics$": "<rootDir>/dist/src/index.js" },
    },
    {
      displayName: "packaging",
      testEnvironment: "node",
      roots: ["<rootDir>/test/packaging"],
      testMatch: ["**/*.test.ts"],
      transform: tsJest("<rootDir>/tsconfig.json"),
    },
  ],
};

export default config;
