/** UTC day `YYYY-MM-DD` of an epoch-ms time. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** UTC month `YYYY-MM` of an epoch-ms time. */
export const utcMonth = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** The quota periods a time falls in and when each ends (next UTC midnight, first of next month). */
export function quotaPeriods(now: number): { day: string; month: string; dayResetMs: number; monthResetMs: number } {
  const d = new Date(now);
  const dayResetMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  const monthResetMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { day: utcDay(now), month: utcMonth(now), dayResetMs, monthResetMs };
}

/** Quota counter period names (keys.quotaCounter). */
export const dayPeriod = (day: string): string => `d:${day}`;
export const monthPeriod = (month: string): string => `m:${month}`;

/** Pixel-steps of a job (integer): width × height × steps × images. Megapixel-steps = this / 10⁶. */
export function pixelSteps(input: { width?: number; height?: number; steps?: number; num_images?: number; stages?: Array<{ steps?: number }> }): number {
  // a prompt chain renders one image per stage, each with its own steps
  if (input.stages?.length) return input.stages.reduce((sum, stage) => sum + (input.width ?? 0) * (input.height ?? 0) * (stage.steps ?? input.steps ?? 0), 0);
  return (input.width ?? 0) * (input.height ?? 0) * (input.steps ?? 0) * (input.num_images ?? 1);
}

/** Images a job makes: one per stage of a prompt chain, else num_images. */
export function imagesOf(input: { num_images?: number; stages?: unknown[] }): number {
  return input.stages?.length ? input.stages.length : (input.num_images ?? 1);
}
