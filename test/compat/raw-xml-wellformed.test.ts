// Request XML bodies must be well-formed XML 1.0, or nothing happens (issue 15, hole 4):
// a multi-delete body with a DTD, an undefined entity, an invalid character reference or
// invalid UTF-8 used to be accepted, and it deleted the key it named. And every character
// reference is decoded: the official Go SDKs write `"` in ETags as `&#34;` and control
// bytes in keys as `&#x…;`, so Complete answered InvalidPart and batch deletes missed keys.
//
// Raw HTTP against the real ossd process; each refusal is checked for "nothing changed".
// On the code before the fix (fast-xml-parser, body decoded with U+FFFD replacement) these
// tests fail, checked (all 5 failed): the multi-delete cases marked OLD-ACCEPTED below
// answered 200 and deleted `victim` (the others were refused already), the references in
// keys and tag values were not decoded, and the other bodies with a DOCTYPE, an invalid
// reference or invalid UTF-8 were accepted.
import { useOssd } from '../helpers/ossd-process.js';
import { xmlWellformedBattery } from '../helpers/xml-wellformed-battery.js';

// The battery's body is shared with test/faults/batteries-cluster.test.ts (the same on a PostgreSQL + S3 node).
xmlWellformedBattery((setup) => useOssd({}, setup));
