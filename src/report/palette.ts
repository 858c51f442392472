/**
 * The report's one palette: every chart, legend swatch and highlight badge takes its colours from here, so that
 * a status has the same colour wherever it is drawn (a timeout was red in the failure chart and orange in the
 * timeline before). The other series' colours are chosen apart from the three status colours, so that no series
 * reads as a status.
 */
export const COLORS = {
  /** Status `success`. */
  success: "#3a8f5c",
  /** Status `failure`, and the failing-skill badge. */
  failure: "#c8463d",
  /** Status `timeout`, and the slow-skill badge (a skill too slow is the nearest thing to a timeout). */
  timeout: "#d99a2b",
  /** Executions in the latency histogram, tokens in. */
  neutral: "#4a6fa5",
  /** Cost. */
  accent: "#7b4fa3",
  /** Tokens out. */
  secondary: "#2a9fb0",
  /** Percentile marker lines and the success-rate line. */
  percentile: "#222222",
  /** Legend and axis text. */
  text: "#333333",
} as const;

