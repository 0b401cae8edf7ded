/**
 * How the dashboard shows a schedule without a cron (ADR 0024): it never fires from the
 * planner, so its "next run" is "after <upstream>", the upstream named from the list the
 * page already has (else "its upstream", e.g. a deleted schedule).
 */
export function afterUpstreamWords(
  s: { cronExpression: string | null; dependsOnScheduleId: string | null },
  all: readonly { id: string; name: string }[] | undefined,
): string | null {
  if (s.cronExpression !== null) return null;
  const upstream = s.dependsOnScheduleId ? all?.find((o) => o.id === s.dependsOnScheduleId) : undefined;
  return upstream ? `after “${upstream.name}”` : "after its upstream";
}
