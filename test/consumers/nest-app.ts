/**
 * A NestJS consumer of the packed skill-metrics (run by test/packaging/consumer-projects.test.ts in a fresh
 * project with @nestjs/core, @nestjs/common, @nestjs/typeorm and TypeORM 1.x, compiled with
 * experimentalDecorators as Nest requires): SkillMetricsModule on @nestjs/typeorm's better-sqlite3 DataSource,
 * service methods with @SetMetadata below and above @TrackExecution read back with Reflector, and app.close()
 * with rows still queued.
 *
 *   node out/nest-app.js <database file> <export file>
 */
import "reflect-metadata";
import { existsSync } from "node:fs";
import { Injectable, Module, SetMetadata } from "@nestjs/common";
import { NestFactory, Reflector } from "@nestjs/core";
import { TypeOrmModule } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { type CollectorOptions, ExecutionMetricsCollector, SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS, TrackExecution } from "skill-metrics";
import { SkillMetricsModule } from "skill-metrics/nestjs";

@Injectable()
class ReportService {
  @TrackExecution("report_summarize")
  @SetMetadata("role", "admin")
  summarize(text: string): string {
    return text.slice(0, 4);
  }

  @SetMetadata("audit", "on")
  @TrackExecution()
  @SetMetadata("role", "reader")
  async lookup(id: number): Promise<number> {
    return id * 2;
  }
}

/**
 * Compiled, never called: the application's own DataSource — of its TypeORM 1.x, not the copy skill-metrics may
 * have nested — type-checks as the `dataSource` option.
 */
export function collectorOptionsFor(dataSource: DataSource): CollectorOptions {
  return { dataSource, environment: "typed" };
}

async function main(): Promise<void> {
  const [database, out] = process.argv.slice(2);
  const spillPath = `${database}.spill.ndjson`;
  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: "better-sqlite3", database, entities: [...SKILL_METRICS_ENTITIES], migrations: SKILL_METRICS_MIGRATIONS }),
      SkillMetricsModule.forRoot({ environment: "nest", spillPath }),
    ],
    providers: [ReportService],
  })
  class AppModule {}

  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const reflector = app.get(Reflector);
  const service = app.get(ReportService);
  const metadata = [reflector.get("role", service.summarize), reflector.get("role", service.lookup), reflector.get("audit", service.lookup)];
  service.summarize("hello");
  await service.lookup(1);
  const metrics = app.get(ExecutionMetricsCollector);
  const page = await metrics.getMetrics({ limit: 10 });
  const profile = await metrics.getSkillProfile("report_summarize");
  const exported = await metrics.exportJson(out);
  // Recorded right before close and not flushed: the module's shutdown hook must write them.
  for (let i = 0; i < 300; i++) service.summarize(`late ${i}`);
  await app.close();
  console.log(JSON.stringify({ metadata, page: page.items.length, profile: profile?.totalExecutions, exported: exported.rows, spill: existsSync(spillPath) }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
