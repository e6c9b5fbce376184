/**
 * No test can hang CI (issue 15): every test file gives its tests a timeout. Each call of
 * describe / it / test / suite that is not inside another one (those inherit its
 * timeout) must pass an options object with `timeout`. The sources are parsed with the
 * TypeScript compiler, so comments, strings and nesting are told apart exactly.
 *
 * The runner adds two guards (scripts/run-tests.mjs): node's --test-timeout on each file
 * as a whole, and a watchdog that kills a file that still runs after that.
 *
 * Fails, naming the file and line, when the timeout of one describe is removed (checked
 * with test/unit/multipart-rules.test.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const TEST_FUNCTIONS = new Set(['describe', 'it', 'test', 'suite']);

const MODIFIERS = new Set(['skip', 'only', 'todo']);

/** The node:test function a call names (`it(...)`, `it.only(...)`, `describe.skip(...)`), if any; not `it.next()` of an iterator named `it`. */
function testFunctionOf(call: ts.CallExpression): string | undefined {
  let callee: ts.Expression = call.expression;
  if (ts.isPropertyAccessExpression(callee) && MODIFIERS.has(callee.name.text)) callee = callee.expression;
  return ts.isIdentifier(callee) && TEST_FUNCTIONS.has(callee.text) ? callee.text : undefined;
}

function hasTimeoutOption(call: ts.CallExpression): boolean {
  return call.arguments.some(
    (arg) =>
      ts.isObjectLiteralExpression(arg) &&
      arg.properties.some((p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name.getText() === 'timeout'),
  );
}

/** `line: call` of each outermost test or suite without a timeout option. */
export function testsWithoutTimeout(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = testFunctionOf(node);
      if (name) {
        if (!hasTimeoutOption(node)) {
          const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
          const title = node.arguments[0] ? node.arguments[0].getText(sf).slice(0, 60) : '';
          out.push(`${line}: ${name}(${title}`);
        }
        return; // tests inside inherit its timeout
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return testFiles(p);
      return name.endsWith('.test.ts') ? [p] : [];
    });
}

describe('every test file sets timeouts', { timeout: 60_000 }, () => {
  it('the checker: flags an outermost test or suite without one, accepts options with one, lets nested tests inherit', () => {
    // Fails when hasTimeoutOption() always answers true, or when the walk does not stop at tests: checked.
    assert.deepEqual(testsWithoutTimeout('a.ts', "it('no timeout', () => {});"), ["1: it('no timeout'"]);
    assert.deepEqual(testsWithoutTimeout('a.ts', "describe.skip('s', () => {});\ntest('t', { skip: true }, () => {});"), ["1: describe('s'", "2: test('t'"]);
    assert.deepEqual(testsWithoutTimeout('a.ts', "// it('in a comment', () => {});\nconst s = \"it('in a string')\";"), []);
    const nested = "describe('s', { timeout: 1000 }, () => {\n  it('inherits', () => {});\n  describe('inner', () => { it('too', () => {}); });\n});";
    assert.deepEqual(testsWithoutTimeout('a.ts', nested), []);
    assert.deepEqual(testsWithoutTimeout('a.ts', 'const timeout = 5;\nit(`t`, { timeout }, async () => {});'), []);
    assert.deepEqual(testsWithoutTimeout('a.ts', "for (const x of xs) it(`t ${x}`, () => {});"), ['1: it(`t ${x}`']);
    assert.deepEqual(testsWithoutTimeout('a.ts', 'const it = gen();\nawait it.next();'), []);
  });

  it('test/**/*.test.ts: each outermost describe / it / test has a timeout option', () => {
    const missing: string[] = [];
    for (const file of testFiles(join(ROOT, 'test'))) {
      for (const call of testsWithoutTimeout(file, readFileSync(file, 'utf8'))) missing.push(`${relative(ROOT, file)}:${call}`);
    }
    assert.deepEqual(missing, [], 'add `{ timeout: ... }` to these tests (or to the describe around them)');
  });
});
