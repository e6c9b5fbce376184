/** BoundedMap (src/engine/bounded-map.ts): keeps about `limit` entries, dropping the ones set longest ago. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BoundedMap } from '../../src/engine/bounded-map.js';

it('past its limit drops the entries set longest ago, and setting a key again makes it new', { timeout: 30_000 }, () => {
  const m = new BoundedMap<string, number>(16);
  for (let i = 0; i < 16; i++) m.set(`k${i}`, i);
  m.set('k0', 100); // k0 is now the newest
  m.set('k16', 16); // over the limit: the two oldest (k1, k2) go
  assert.equal(m.get('k0'), 100);
  assert.equal(m.has('k1'), false);
  assert.equal(m.has('k2'), false);
  assert.equal(m.get('k3'), 3);
  assert.equal(m.get('k16'), 16);
  for (let i = 17; i < 1000; i++) m.set(`k${i}`, i);
  let kept = 0;
  for (let i = 0; i < 1000; i++) if (m.has(`k${i}`)) kept++;
  assert.ok(kept <= 16 && kept >= 14, `about the limit kept: ${kept}`);
  assert.ok(m.has('k999'));
  m.delete('k999');
  assert.equal(m.get('k999'), undefined);
});
