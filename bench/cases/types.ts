/** A bench case: per target, an optional one-time setup, then measured runs. */
import type { Params } from '../params.js';
import type { RunResult } from '../stats.js';
import type { Target, TargetName } from '../targets/types.js';

export interface Ctx {
  p: Params;
  /** Index of the measured run (keys stay unique across runs). */
  run: number;
  /** Call when preparation is over: server CPU and time are measured from here. */
  start(): void;
}

export interface BenchCase {
  id: string;
  title: string;
  /** Small cases are compared with the peers (≥ 10× Azurite, ≥ 3× s3rver). */
  small: boolean;
  targets: TargetName[];
  /** Measured runs per target when not `p.runs`. */
  runs?(p: Params): number;
  /** Whether the Target supports what the case needs (e.g. append). */
  supports?(t: Target): boolean;
  setup?(t: Target, p: Params): Promise<void>;
  run(t: Target, ctx: Ctx): Promise<RunResult>;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const uid = (): string => Math.random().toString(36).slice(2, 8);
