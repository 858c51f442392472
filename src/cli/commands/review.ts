import { reviewToPlain } from "../../services/annotation-plain";
import type { ExecutionReview } from "../../storage/entities/ExecutionReview.entity";
import { annotationStatusOption, cellText } from "../annotation-status-option";
import { type CliContext, integerOption, stringOption } from "../cli-context";
import { formatTable } from "../format-table";
import { withReader } from "../metrics-reader";

/**
 * `skill-metrics review [--skill S] [--status open|resolved] [--limit N] [--json]`: the review queue, oldest
 * flag first (open flags unless --status resolved), read-only.
 */
export async function reviewCommand(context: CliContext): Promise<number> {
  const limit = integerOption(context, "limit", 100, 1, 10_000, "review");
  const status = annotationStatusOption(context, "review", "open");
  return withReader(context, async (metrics) => {
    const page = await metrics.getReviewQueue({ skillId: stringOption(context, "skill"), status, limit });
    if (context.values.json) {
      context.out.write(JSON.stringify(page.items.map(reviewToPlain), null, 2) + "\n");
    } else if (page.items.length === 0) {
      context.out.write(status === "open" ? "The review queue is empty.\n" : "No resolved review flags match.\n");
    } else {
      context.out.write(renderReviews(page.items));
      if (page.nextCursor !== null) context.out.write(`(the oldest ${limit} shown; raise --limit for more)\n`);
    }
    return 0;
  });
}

/** One line per review flag: when, which execution, why, by whom, and how it was settled. */
export function renderReviews(reviews: readonly ExecutionReview[]): string {
  const headers = ["flagged at", "skill", "reason", "by", "status", "resolution", "execution", "review"];
  const rows = reviews.map((r) => [
    r.createdAt.toISOString(),
    cellText(r.skillId, 40),
    cellText(r.reason, 60),
    cellText(r.flaggedBy, 30),
    r.status,
    cellText(r.resolution, 30),
    r.executionId,
    r.reviewId,
  ]);
  return formatTable(headers, rows);
}
