/** Sizes and durations of the quick and full runs. */

export interface Params {
  quick: boolean;
  /** Measured runs per case and target (the report shows medians). */
  runs: number;
  smallMs: number;
  smallMaxOps: number;
  largeMiB: number;
  largeReps: number;
  /** GETs of the 64 MiB object per run: each takes only ~40 ms, so more of them to average out noise. */
  largeGetReps: number;
  rangeObjectMiB: number;
  rangeReadMiB: number;
  uploads: number;
  uploadMiB: number;
  listObjects: number;
  listReps: number;
  fragAppends: number;
  fragAppendBytes: number;
  hashBytes: number;
  hashRuns: number;
}

export function params(quick: boolean): Params {
  return quick
    ? {
        quick,
        runs: 2,
        smallMs: 500,
        smallMaxOps: 50_000,
        largeMiB: 64,
        largeReps: 1,
        largeGetReps: 4,
        rangeObjectMiB: 128,
        rangeReadMiB: 32,
        uploads: 16,
        uploadMiB: 16,
        listObjects: 100_000,
        listReps: 50,
        fragAppends: 10_000,
        fragAppendBytes: 1024,
        hashBytes: 16 * 1024 * 1024,
        hashRuns: 3,
      }
    : {
        quick,
        runs: 3,
        smallMs: 1500,
        smallMaxOps: 500_000,
        largeMiB: 64,
        largeReps: 4,
        largeGetReps: 16,
        rangeObjectMiB: 1024,
        rangeReadMiB: 256,
        uploads: 64,
        uploadMiB: 64,
        listObjects: 1_000_000,
        listReps: 200,
        fragAppends: 100_000,
        fragAppendBytes: 1024,
        hashBytes: 64 * 1024 * 1024,
        hashRuns: 5,
      };
}
