/**
 * ossd behind the nginx config of docs/deploy.md (deploy/nginx-ossd.conf, run from Debian's
 * nginx): OSS requests pass through unchanged. ali-oss in every addressing mode with V1
 * and V4 signatures (V4 signs the Host, virtual-hosted requests carry the bucket in it),
 * append, a chunked PUT, an `Expect: 100-continue` PUT, a 24 MiB body, and a follow read
 * idle past nginx's default 60 s proxy_read_timeout.
 *
 * Can fail: the last two tests run the same file with one line changed and see the failure
 * the earlier tests would show (Host rewritten to the upstream's name: V4 gets
 * SignatureDoesNotMatch; a 1 MiB body limit: 413). Checked by hand as well:
 * without `proxy_read_timeout 3700s` nginx cuts the follow read at 60 s and its test fails:
 * checked.
 */
import { describe } from 'node:test';
import { loadBalancerTests } from '../helpers/load-balancer-suite.js';
import { proxySkip } from '../helpers/load-balancer.js';

describe('ossd behind nginx (deploy/nginx-ossd.conf)', { timeout: 240_000, concurrency: true, skip: proxySkip('nginx') }, () => {
  loadBalancerTests('nginx');
});
