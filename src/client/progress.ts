/**
 * Progress of long transfers: a cli-progress bar on stderr (bytes, rate, ETA) when stderr
 * is a terminal; nothing at all otherwise, so pipes and logs stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Bytes done so far (absolute). */
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { update: () => undefined, stop: () => undefined };

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A bar for `total` bytes (undefined: unknown size, e.g. stdin: bytes and rate only). */
export function startProgress(label: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silent;
  const started = Date.now();
  const format = total === undefined
    ? `${label} {done} | {rate}`
    : `${label} [{bar}] {percentage}% | {done}/{size} | {rate} | ETA {eta_formatted}`;
  const bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, etaBuffer: 20, fps: 5 }, cliProgress.Presets.shades_classic);
  const payload = (done: number): Record<string, string> => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    return { done: humanBytes(done), size: humanBytes(total ?? 0), rate: `${humanBytes(done / seconds)}/s` };
  };
  bar.start(total ?? 1, 0, payload(0));
  return {
    update: (done) => bar.update(total === undefined ? 0 : done, payload(done)),
    stop: () => bar.stop(),
  };
}
