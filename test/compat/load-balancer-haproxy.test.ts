/**
 * ossd behind the HAProxy config of docs/deploy.md (deploy/haproxy.cfg, run from Debian's
 * haproxy): OSS requests pass through unchanged. The same tests as load-balancer.test.ts
 * (nginx): ali-oss in every addressing mode with V1 and V4, append, a chunked PUT, an
 * `Expect: 100-continue` PUT, a 24 MiB body, and a follow read idle past the 50 s
 * `timeout server` of Debian's default haproxy.cfg, whose end reason (a trailer) HAProxy
 * passes on.
 *
 * Can fail: the last two tests run the same file with one rule added and see the failure
 * the earlier tests would show (`http-request set-header Host`: V4 gets
 * SignatureDoesNotMatch; a body-size deny: 413). Checked by hand as well: with
 * `timeout server 50s` the follow read is cut and its test fails: checked.
 */
import { describe } from 'node:test';
import { loadBalancerTests } from '../helpers/load-balancer-suite.js';
import { proxySkip } from '../helpers/load-balancer.js';

describe('ossd behind HAProxy (deploy/haproxy.cfg)', { timeout: 240_000, concurrency: true, skip: proxySkip('haproxy') }, () => {
  loadBalancerTests('haproxy');
});
