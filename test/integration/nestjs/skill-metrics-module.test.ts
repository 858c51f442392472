import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CallHandler, type CanActivate, Controller, Get, Injectable, Module, type NestInterceptor, Post, SetMetadata, UseGuards, UseInterceptors } from "@nestjs/common";
import { GUARDS_METADATA, INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from "@nestjs/common/constants";
import { NestFactory, Reflector } from "@nestjs/core";
import { getDataSourceToken, TypeOrmModule } from "@nestjs/typeorm";
import type { DataSource } from "typeorm";
import { ExecutionMetricsCollector } from "../../../src/ExecutionMetricsCollector";
import { SkillMetricsModule } from "../../../src/nestjs";
import { SKILL_METRICS_ENTITIES, SKILL_METRICS_MIGRATIONS } from "../../../src/storage/data-source";
import { getDefaultSink, setDefaultSink } from "../../../src/tracking/default-sink";
import { TrackExecution } from "../../../src/tracking/TrackExecution";

const SQLITE_CLI = "/usr/bin/sqlite3";

/**
 * SkillMetricsModule in a real Nest application (experimentalDecorators, as Nest requires) on @nestjs/typeorm's
 * DataSource: the collector is injected, decorated service methods keep the metadata of Nest's @SetMetadata
 * applied below and above @TrackExecution, and app.close() shuts the collector down before TypeORM closes the
 * DataSource, so every row is written and no spill file is left.
 */
const ROLE = "role";
const AUDIT = "audit";

@Injectable()
class ReportService {
  @TrackExecution("report_summarize")
  @SetMetadata(ROLE, "admin")
  summarize(text: string): string {
    return text.slice(0, 4);
  }

  @SetMetadata(AUDIT, { level: 2 })
  @TrackExecution()
  @SetMetadata(ROLE, "reader")
  async lookup(id: number): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    return id * 2;
  }
}

class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

class PassInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

/** Nest's route, guard and interceptor decorators below and above @TrackExecution, in both orders. */
@Controller("reports")
class ReportController {
  @Get("summary")
  @UseGuards(AllowGuard)
  @TrackExecution("controller_summary")
  @UseInterceptors(PassInterceptor)
  @SetMetadata(ROLE, "viewer")
  summary(): string {
    return "summary";
  }

  @TrackExecution()
  @Post("rebuild")
  @UseInterceptors(PassInterceptor)
  @UseGuards(AllowGuard)
  rebuild(): string {
    return "rebuilt";
  }
}

describe("SkillMetricsModule (skill-metrics/nestjs)", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "skill-metrics-nest-"));
  });

  afterEach(() => {
    setDefaultSink(null);
    rmSync(dir, { recursive: true, force: true });
  });

  function typeormModule(database: string) {
    return TypeOrmModule.forRoot({
      type: "better-sqlite3",
      database,
      entities: [...SKILL_METRICS_ENTITIES],
      migrations: SKILL_METRICS_MIGRATIONS,
    });
  }

  function rows(database: string): string {
    return execFileSync(SQLITE_CLI, [database, "SELECT skill_id, status, count(*) FROM execution_metrics GROUP BY skill_id, status ORDER BY skill_id"], {
      encoding: "utf8",
    }).trim();
  }

  it("forRoot: records tracked service calls into the app's DataSource; metadata below and above the tracker survives; app.close() writes every row", async () => {
    const database = join(dir, "app.db");
    const spillPath = join(dir, "spill.ndjson");

    @Module({ imports: [typeormModule(database), SkillMetricsModule.forRoot({ spillPath, environment: "nest" })], providers: [ReportService] })
    class AppModule {}

    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const metrics = app.get(ExecutionMetricsCollector);
    const dataSource = app.get<DataSource>(getDataSourceToken());
    expect(metrics.dataSource).toBe(dataSource);
    expect(getDefaultSink()).not.toBeNull();

    const reflector = app.get(Reflector);
    const service = app.get(ReportService);
    expect(reflector.get(ROLE, service.summarize)).toBe("admin");
    expect(reflector.get(ROLE, service.lookup)).toBe("reader");
    expect(reflector.get(AUDIT, service.lookup)).toEqual({ level: 2 });

    expect(service.summarize("hello")).toBe("hell");
    await expect(service.lookup(21)).resolves.toBe(42);
    const page = await metrics.getMetrics({ limit: 10 });
    expect(page.items.map((item) => item.skillId).sort()).toEqual(["ReportService.lookup", "report_summarize"]);

    // Recorded right before close, not flushed: the shutdown hook must write them while the DataSource is open.
    for (let i = 0; i < 500; i++) service.summarize(`call ${i}`);
    await app.close();

    expect(dataSource.isInitialized).toBe(false);
    expect(existsSync(spillPath)).toBe(false);
    expect(getDefaultSink()).toBeNull();
    expect(rows(database)).toBe("ReportService.lookup|success|1\nreport_summarize|success|501");
  });

  it("@TrackExecution stacks with route, guard and interceptor decorators in any order: Nest still finds their metadata", async () => {
    const reflector = new Reflector();
    const { summary, rebuild } = ReportController.prototype;
    // Below the tracker (applied first) and above it (applied after), on both handlers.
    expect(reflector.get(PATH_METADATA, summary)).toBe("summary");
    expect(reflector.get(METHOD_METADATA, summary)).toBe(0); // RequestMethod.GET
    expect(reflector.get(GUARDS_METADATA, summary)).toEqual([AllowGuard]);
    expect(reflector.get(INTERCEPTORS_METADATA, summary)).toEqual([PassInterceptor]);
    expect(reflector.get(ROLE, summary)).toBe("viewer");
    expect(reflector.get(PATH_METADATA, rebuild)).toBe("rebuild");
    expect(reflector.get(METHOD_METADATA, rebuild)).toBe(1); // RequestMethod.POST
    expect(reflector.get(GUARDS_METADATA, rebuild)).toEqual([AllowGuard]);
    expect(reflector.get(INTERCEPTORS_METADATA, rebuild)).toEqual([PassInterceptor]);

    // ...and the handlers are still tracked.
    const database = join(dir, "routes.db");
    @Module({ imports: [typeormModule(database), SkillMetricsModule.forRoot({ spillPath: null })] })
    class RoutesModule {}
    const app = await NestFactory.createApplicationContext(RoutesModule, { logger: false });
    const controller = new ReportController();
    expect(controller.summary()).toBe("summary");
    expect(controller.rebuild()).toBe("rebuilt");
    await app.close();
    expect(rows(database)).toBe("ReportController.rebuild|success|1\ncontroller_summary|success|1");
  });

  it("forRoot({ dataSourceName }): records into a named @nestjs/typeorm DataSource", async () => {
    const database = join(dir, "named.db");

    @Module({
      imports: [
        TypeOrmModule.forRoot({ name: "metrics", type: "better-sqlite3", database, entities: [...SKILL_METRICS_ENTITIES], migrations: SKILL_METRICS_MIGRATIONS }),
        SkillMetricsModule.forRoot({ dataSourceName: "metrics", spillPath: null }),
      ],
      providers: [ReportService],
    })
    class NamedAppModule {}

    const app = await NestFactory.createApplicationContext(NamedAppModule, { logger: false });
    expect(app.get(ExecutionMetricsCollector).dataSource).toBe(app.get<DataSource>(getDataSourceToken("metrics")));
    for (let i = 0; i < 3; i++) app.get(ReportService).summarize("named");
    await app.close();
    expect(rows(database)).toBe("report_summarize|success|3");
  });

  it("forRootAsync: the factory gets the injected DataSource and returns the collector's options", async () => {
    const database = join(dir, "app.db");

    @Module({
      imports: [
        typeormModule(database),
        SkillMetricsModule.forRootAsync({
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => ({ dataSource, agentId: "nest-agent", spillPath: join(dir, "spill.ndjson") }),
        }),
      ],
      providers: [ReportService],
    })
    class AsyncAppModule {}

    const app = await NestFactory.createApplicationContext(AsyncAppModule, { logger: false });
    const service = app.get(ReportService);
    for (let i = 0; i < 20; i++) await service.lookup(i);
    await app.close();

    expect(readdirSync(dir)).toEqual(["app.db"]);
    expect(execFileSync(SQLITE_CLI, [database, "SELECT agent_id, count(*) FROM execution_metrics GROUP BY agent_id"], { encoding: "utf8" }).trim()).toBe(
      "nest-agent|20",
    );
  });
});
