/**
 * Opt-in resource figures of one execution (`captureResources: true`).
 *
 * - memory_used_mb: growth of the process's resident set size (RSS) during the call, in MiB, 0 when it
 *   shrank. RSS rather than heapUsed because skills allocate Buffers and native memory outside the JS heap,
 *   and because a garbage collection in the middle makes heap deltas negative noise.
 * - cpu_usage_percent: process CPU time (user + system) over wall time during the call, in percent of one
 *   core; it can exceed 100 when worker or libuv threads ran in parallel.
 * Both are process-wide: concurrent executions see each other's usage.
 *
 * Cost: process.memoryUsage.rss() reads /proc and process.cpuUsage() calls getrusage, each twice per
 * execution: measured at ~20 µs per execution on an idle 2-core machine and up to ~60 µs under load (against
 * ~0.6 µs for tracking without it), hence opt-in.
 */

const BYTES_PER_MIB = 1024 * 1024;

/** What is read when an execution starts. */
export interface ResourceSample {
  readonly rssBytes: number;
  readonly cpu: NodeJS.CpuUsage;
}

/** Reads the starting figures. */
export function sampleResources(): ResourceSample {
  return { rssBytes: process.memoryUsage.rss(), cpu: process.cpuUsage() };
}

/** Computes the figures of the row from the starting sample and the call's wall duration. */
export function resourceUsageSince(
  start: ResourceSample,
  durationMillis: number,
): { memoryUsedMb: number; cpuUsagePercent: number } {
  const cpu = process.cpuUsage(start.cpu);
  const rssGrowth = process.memoryUsage.rss() - start.rssBytes;
  const cpuMillis = (cpu.user + cpu.system) / 1000;
  return {
    memoryUsedMb: rssGrowth > 0 ? rssGrowth / BYTES_PER_MIB : 0,
    cpuUsagePercent: durationMillis > 0 ? (cpuMillis / durationMillis) * 100 : 0,
  };
}
