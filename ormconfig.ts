import "reflect-metadata";
import { createDataSource } from "./src/storage/data-source";

/**
 * The DataSource the typeorm CLI uses (`npm run migration:run | migration:revert | migration:show`).
 * SQLite file from SKILL_METRICS_DB (default execution_metrics.db), or PostgreSQL from SKILL_METRICS_DB_URL.
 */
export default createDataSource();
