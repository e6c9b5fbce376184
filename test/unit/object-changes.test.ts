/**
 * The in-process change notifier of follow reads (src/engine/object-changes.ts), which keeps
 * a key's only listener directly and a Set once there are more: every listener of a key is
 * woken, once, whichever way it is stored; unsubscribing (twice, or in any order) leaves the
 * count exact; shutdown() reaches everyone and waits for them to leave.
 *
 * Fails when unsubscribe() of one of two listeners drops the other (the Set turned back into
 * a single listener the wrong way), and when a second subscribe() replaces the first: checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalObjectChanges } from '../../src/engine/object-changes.js';

type Heard = Array<[string, string]>;

function listener(name: string, heard: Heard): (change: string) => void {
  return (change) => heard.push([name, change]);
}

describe('LocalObjectChanges', { timeout: 30_000 }, () => {
  it('wakes every listener of the key, one or several, and only those', () => {
    const changes = new LocalObjectChanges();
    const heard: Heard = [];
    const a = listener('a', heard);
    const b = listener('b', heard);
    const c = listener('c', heard);
    changes.subscribe('bk', 'k', a);
    changes.notify('bk', 'k', 'appended');
    changes.subscribe('bk', 'k', b);
    changes.subscribe('bk', 'k', c);
    changes.subscribe('bk', 'other', listener('other', heard));
    changes.notify('bk', 'k', 'sealed');
    // Same key name in another bucket: nobody.
    changes.notify('bk2', 'k', 'deleted');
    assert.deepEqual(heard, [['a', 'appended'], ['a', 'sealed'], ['b', 'sealed'], ['c', 'sealed']]);
    assert.equal(changes.listeners, 4);
  });

  it('unsubscribes exactly, in any order and more than once, down to a single listener and none', () => {
    const changes = new LocalObjectChanges();
    const heard: Heard = [];
    const a = listener('a', heard);
    const b = listener('b', heard);
    const c = listener('c', heard);
    for (const l of [a, b, c]) changes.subscribe('bk', 'k', l);
    changes.subscribe('bk', 'k', b); // twice: still one registration
    assert.equal(changes.listeners, 3);
    changes.unsubscribe('bk', 'k', b);
    changes.unsubscribe('bk', 'k', b);
    assert.equal(changes.listeners, 2);
    changes.unsubscribe('bk', 'k', a);
    changes.notify('bk', 'k', 'appended');
    assert.deepEqual(heard, [['c', 'appended']]);
    assert.equal(changes.listeners, 1);
    // A listener never registered, or of another key: nothing changes.
    changes.unsubscribe('bk', 'k', a);
    changes.unsubscribe('bk', 'other', c);
    assert.equal(changes.listeners, 1);
    changes.unsubscribe('bk', 'k', c);
    changes.notify('bk', 'k', 'appended');
    assert.deepEqual(heard, [['c', 'appended']]);
    assert.equal(changes.listeners, 0);
    // The key works again from nothing.
    changes.subscribe('bk', 'k', a);
    changes.notify('bk', 'k', 'replaced');
    assert.deepEqual(heard.at(-1), ['a', 'replaced']);
  });

  it('a listener that unsubscribes while being woken does not stop the others', () => {
    const changes = new LocalObjectChanges();
    const heard: Heard = [];
    const leaving = (change: string): void => {
      heard.push(['leaving', change]);
      changes.unsubscribe('bk', 'k', leaving);
    };
    changes.subscribe('bk', 'k', leaving);
    changes.subscribe('bk', 'k', listener('staying', heard));
    changes.notify('bk', 'k', 'deleted');
    changes.notify('bk', 'k', 'appended');
    assert.deepEqual(heard, [['leaving', 'deleted'], ['staying', 'deleted'], ['staying', 'appended']]);
  });

  it('shutdown() tells every listener and resolves once they have all left', async () => {
    const changes = new LocalObjectChanges();
    const told: string[] = [];
    const make = (key: string): ((change: string) => void) => {
      const l = (change: string): void => {
        told.push(`${key}:${change}`);
        // Leaves a little later, as a follow read does once its trailer is out.
        setTimeout(() => changes.unsubscribe('bk', key, l), 20);
      };
      return l;
    };
    for (const key of ['x', 'y', 'y']) changes.subscribe('bk', key, make(key));
    const started = Date.now();
    await changes.shutdown(5000);
    assert.deepEqual(told.sort(), ['x:shutdown', 'y:shutdown', 'y:shutdown']);
    assert.equal(changes.listeners, 0);
    assert.ok(Date.now() - started < 2000, 'resolved when the last listener left, not at the deadline');
  });
});
