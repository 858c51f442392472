import type { DynamicModule, InjectionToken, ModuleMetadata, OptionalFactoryDependency, Provider } from "@nestjs/common";
import type { DataSource } from "typeorm";
import { ExecutionMetricsCollector, type CollectorOptions } from "../ExecutionMetricsCollector";
import { ConfigurationError } from "../errors";
import { CollectorShutdownHook } from "./CollectorShutdownHook";

/**
 * Options of {@link SkillMetricsModule.forRoot}: the collector's options except where the metrics live, which
 * is the application's DataSource, injected.
 */
export interface SkillMetricsModuleOptions extends Omit<CollectorOptions, "dataSource" | "database" | "url"> {
  /**
   * The name of the @nestjs/typeorm DataSource to record into (`TypeOrmModule.forRoot({ name })`). Default: the
   * default (unnamed) one.
   */
  dataSourceName?: string;
  /**
   * The injection token of the DataSource, for one not provided by @nestjs/typeorm. Default:
   * `getDataSourceToken(dataSourceName)` of @nestjs/typeorm.
   */
  dataSourceToken?: InjectionToken;
  /** Register the module globally, so any module can inject the collector. Default false. */
  isGlobal?: boolean;
  /** How long the collector's shutdown may take when the application closes (see ShutdownOptions). Default 10,000. */
  shutdownTimeoutMillis?: number;
}

/**
 * Options of {@link SkillMetricsModule.forRootAsync}: a factory that returns the collector's options, including
 * `dataSource` (typically the DataSource it was given by `inject: [getDataSourceToken()]`).
 */
export interface SkillMetricsModuleAsyncOptions extends Pick<ModuleMetadata, "imports"> {
  /** Returns the options of ExecutionMetricsCollector.create(), e.g. `(dataSource) => ({ dataSource, environment })`. */
  useFactory: (...args: any[]) => CollectorOptions | Promise<CollectorOptions>;
  /** What the factory is given. */
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
  /** How long the collector's shutdown may take when the application closes. Default 10,000. */
  shutdownTimeoutMillis?: number;
}

/**
 * The NestJS module of skill-metrics: it creates an ExecutionMetricsCollector on the application's DataSource
 * (provided under the ExecutionMetricsCollector class as token, so `constructor(private metrics:
 * ExecutionMetricsCollector)` injects it) and shuts it down in `beforeApplicationShutdown` — after every
 * `onModuleDestroy`, and before @nestjs/typeorm closes the DataSource in `onApplicationShutdown`, so that
 * `app.close()` writes every recorded row instead of sending it to the spill file.
 *
 * Importing it loads no @nestjs package: Nest reads the dynamic module as plain data, and @nestjs/typeorm is
 * loaded only to find the default DataSource token.
 *
 * @example
 * imports: [
 *   TypeOrmModule.forRoot({ type: "postgres", url, entities: [...SKILL_METRICS_ENTITIES], migrations: SKILL_METRICS_MIGRATIONS }),
 *   SkillMetricsModule.forRoot({ environment: "production" }),
 * ]
 */
export class SkillMetricsModule {
  /**
   * Records into the @nestjs/typeorm DataSource named `dataSourceName` (default: the default one), or the one
   * provided under `dataSourceToken`.
   *
   * @throws ConfigurationError when no token is given and @nestjs/typeorm cannot be loaded.
   */
  static forRoot(options: SkillMetricsModuleOptions = {}): DynamicModule {
    const { dataSourceName, dataSourceToken, isGlobal, shutdownTimeoutMillis, ...collectorOptions } = options;
    const token = dataSourceToken ?? typeormDataSourceToken(dataSourceName);
    return moduleOf(
      {
        provide: ExecutionMetricsCollector,
        useFactory: (dataSource: DataSource) => ExecutionMetricsCollector.create({ ...collectorOptions, dataSource }),
        inject: [token],
      },
      { isGlobal, shutdownTimeoutMillis },
    );
  }

  /** Creates the collector from the options `useFactory` returns (given what `inject` lists). */
  static forRootAsync(options: SkillMetricsModuleAsyncOptions): DynamicModule {
    const { useFactory } = options;
    return moduleOf(
      {
        provide: ExecutionMetricsCollector,
        useFactory: async (...args: unknown[]) => ExecutionMetricsCollector.create(await useFactory(...args)),
        inject: options.inject ?? [],
      },
      { isGlobal: options.isGlobal, shutdownTimeoutMillis: options.shutdownTimeoutMillis, imports: options.imports },
    );
  }
}

function moduleOf(
  collector: Provider,
  options: { isGlobal?: boolean; shutdownTimeoutMillis?: number; imports?: ModuleMetadata["imports"] },
): DynamicModule {
  const shutdownHook: Provider = {
    provide: CollectorShutdownHook,
    useFactory: (metrics: ExecutionMetricsCollector) => new CollectorShutdownHook(metrics, options.shutdownTimeoutMillis),
    inject: [ExecutionMetricsCollector],
  };
  return {
    module: SkillMetricsModule,
    global: options.isGlobal ?? false,
    imports: options.imports ?? [],
    providers: [collector, shutdownHook],
    exports: [ExecutionMetricsCollector],
  };
}

/** @nestjs/typeorm's token of the named DataSource, loaded from the application's @nestjs/typeorm. */
function typeormDataSourceToken(name: string | undefined): InjectionToken {
  let typeormModule: { getDataSourceToken(name?: string): InjectionToken };
  try {
    typeormModule = require("@nestjs/typeorm");
  } catch (error) {
    throw new ConfigurationError(
      "SkillMetricsModule.forRoot() finds the DataSource through @nestjs/typeorm, which cannot be loaded: install " +
        "@nestjs/typeorm, or pass `dataSourceToken` (the token your DataSource is provided under), or use forRootAsync().",
      { cause: error, code: "SKILL_METRICS_DRIVER_MISSING" },
    );
  }
  return typeormModule.getDataSourceToken(name);
}
