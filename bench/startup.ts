/**
 * The start-up benchmark alone: `node dist/bench/startup.js [--quick] [--ossd path/to/bin/ossd.cjs]`
 * (also a case of `npm run bench`, bench/cases/startup.ts). Prints the table and the goals
 * as ratios to their limits.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startupRows, startupVerdicts } from './cases/startup.js';
import { params } from './params.js';
import { runBenchMain } from './proc.js';
import { legend, table, verdictLines } from './report.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, ossd: { type: 'string' } } });
  const p = params(values.quick === true);
  const rows = await startupRows(p, (s) => console.log(s), values.ossd === undefined ? undefined : resolve(values.ossd));
  console.log(['', table(rows), '', 'Cases:', legend(rows), '', 'Goals:', verdictLines(startupVerdicts(rows))].join('\n'));
}

runBenchMain(main);
