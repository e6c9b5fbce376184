/** The machine a run was made on: what BENCH.md records next to the table. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  kernel: string;
  node: string;
  memMB: number;
  disk: string;
}

export function machine(dataDir: string): Machine {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?';
  let disk = '?';
  try {
    const lines = execFileSync('df', ['-hT', dataDir]).toString().trim().split('\n');
    disk = lines[lines.length - 1]!.replace(/\s+/g, ' ');
  } catch {
    /* df missing: leave '?' */
  }
  return {
    nproc: os.availableParallelism(),
    cpu: model.trim(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    memMB: Math.round(os.totalmem() / 1048576),
    disk,
  };
}

export function machineLine(m: Machine): string {
  return `nproc ${m.nproc}; CPU ${m.cpu}; kernel ${m.kernel}; Node ${m.node}; RAM ${m.memMB} MB; disk (df -hT of the temp folder): ${m.disk}`;
}
