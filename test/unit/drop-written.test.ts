/** dropWritten (src/drivers/fs/fd.ts): what a short writev leaves to write next. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { dropWritten } from '../../src/drivers/fs/fd.js';

it('after a short writev, the rest starts exactly where the write stopped', { timeout: 30_000 }, () => {
  const parts = (): Buffer[] => [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')];
  const text = (rest: Buffer[]): string => Buffer.concat(rest).toString();
  for (let n = 0; n <= 8; n++) {
    const rest = parts();
    dropWritten(rest, n);
    assert.equal(text(rest), 'abcdefgh'.slice(n), `after ${n} bytes`);
    assert.ok(rest.every((b) => b.length > 0), 'no empty piece left');
  }
});
