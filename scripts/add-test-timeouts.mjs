// Adds `{ timeout: ... }` to every outermost describe / it / test in test/**/*.test.ts that
// has none (what test/unit/test-timeouts.test.ts asks for), as a one-line edit of the
// call: into its options object, or as a new options argument before its function.
// After a merge that brings test files without timeouts, run it and review the diff.
// Values: unit 30 s, engine 2 min, fault tests 10 min (3 h with OSSD_LONG_TESTS=1 where the
// file defines LONG), others 5 min. Usage: node scripts/add-test-timeouts.mjs
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const TEST_FUNCTIONS = new Set(['describe', 'it', 'test', 'suite']);
const MODIFIERS = new Set(['skip', 'only', 'todo']);

function testFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) return testFiles(p);
      return n.endsWith('.test.ts') ? [p] : [];
    });
}

function timeoutFor(file, text) {
  if (file.startsWith('test/unit/')) return '30_000';
  if (file.startsWith('test/engine/')) return '120_000';
  if (file.startsWith('test/faults/')) return /\bconst LONG\b|\bLONG\b[^;]*\bfrom\b/.test(text) ? 'LONG ? 10_800_000 : 600_000' : '600_000';
  return '300_000';
}

let total = 0;
for (const file of testFiles('test')) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const value = timeoutFor(file, text);
  const edits = [];
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      let callee = node.expression;
      if (ts.isPropertyAccessExpression(callee) && MODIFIERS.has(callee.name.text)) callee = callee.expression;
      if (ts.isIdentifier(callee) && TEST_FUNCTIONS.has(callee.text)) {
        const options = node.arguments.find((a) => ts.isObjectLiteralExpression(a));
        const has = options?.properties.some((p) => p.name?.getText(sf) === 'timeout');
        const fn = node.arguments.at(-1);
        if (!has && options) edits.push({ at: options.getStart(sf) + 1, text: options.properties.length > 0 ? ` timeout: ${value},` : ` timeout: ${value} ` });
        else if (!has && fn) edits.push({ at: fn.getStart(sf), text: `{ timeout: ${value} }, ` });
        return; // tests inside inherit its timeout
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (edits.length === 0) continue;
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  writeFileSync(file, out);
  total += edits.length;
  console.log(`${file}: ${edits.length}`);
}
console.log(`${total} timeouts added`);
