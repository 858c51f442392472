import type { BeforeApplicationShutdown } from "@nestjs/common";
import type { ExecutionMetricsCollector } from "../ExecutionMetricsCollector";

/**
 * Shuts the collector down when the Nest application closes, in `beforeApplicationShutdown`: Nest runs that
 * phase for every module after `onModuleDestroy` and before `onApplicationShutdown`, where @nestjs/typeorm
 * destroys its DataSources. Shutting down any later would find the connection closed and send every row not yet
 * written to the spill file.
 */
export class CollectorShutdownHook implements BeforeApplicationShutdown {
  constructor(
    private readonly collector: ExecutionMetricsCollector,
    private readonly timeoutMillis?: number,
  ) {}

  /** Writes what is queued and closes the collector (never the application's DataSource). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.collector.shutdown(this.timeoutMillis === undefined ? {} : { timeoutMillis: this.timeoutMillis });
  }
}
