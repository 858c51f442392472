/**
 * skill-metrics/nestjs: the NestJS module. Needs @nestjs/common (types) and, for the default DataSource token,
 * @nestjs/typeorm — optional peers of skill-metrics that the main entry never loads.
 */
import "reflect-metadata";

export { SkillMetricsModule } from "./SkillMetricsModule";
export type { SkillMetricsModuleOptions, SkillMetricsModuleAsyncOptions } from "./SkillMetricsModule";
