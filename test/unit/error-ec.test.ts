// Every catalogue entry says which OSS error sub-code (EC) it answers with, or why it has
// none (issue 16, "Error sub-codes"). The expected ECs are literals copied from OSS's
// error-code pages (help.aliyun.com/…/oss/user-guide/<EC>), not read from src/.
// Fails when an entry loses its `ec` or `noEc`, or an EC differs from OSS's page: checked
// (removing NoSuchBucket's ec; setting NoSuchKey's to 0026-00000002; issue 16: BucketNotEmpty's
// noEc back: checked).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_CATALOGUE } from '../../src/protocol/errors/catalogue.js';

/** code → EC, from OSS's pages (page named after the EC; cause in the comment). */
const OSS_DOCUMENTED_EC: Record<string, string> = {
  NoSuchBucket: '0015-00000101', // the bucket does not exist
  NoSuchKey: '0026-00000001', // the object does not exist
  InvalidBucketName: '0015-00000001', // name against the naming rules
  InvalidObjectName: '0016-00000005', // name starts with / or \
  BucketAlreadyExists: '0015-00000102', // name already taken
  NoSuchUpload: '0017-00000244', // the upload id does not exist
  SignatureDoesNotMatch: '0002-00000040', // V1 header signature mismatch
  InvalidAccessKeyId: '0002-00000902', // the AccessKeyId does not exist
  RequestTimeTooSkewed: '0002-00000504', // Date too far from the server's time
  InvalidSecurityToken: '0002-00000006', // the STS token is invalid
  InvalidDigest: '0017-00000503', // Content-MD5 does not match the body
  NoSuchVersion: '0012-00000203', // the versionId names no version
  PreconditionFailed: '0017-00001001', // a conditional header is not met
  InvalidPartOrder: '0042-00000209', // parts not in ascending order
  EntityTooSmall: '0042-00000213', // a part other than the last under 100 KB
  MissingArgument: '0016-00000501',
  MalformedXML: '0031-00000001', // "Error responses" page sample
  AccessDenied: '0003-00000001', // "Error responses" page sample header
  PositionNotEqualToLength: '0026-00000016',
  ObjectNotAppendable: '0026-00000017',
  FileAlreadyExists: '0026-00000201',
  SymlinkTargetNotExist: '0026-00000012',
  // Issue 16 (the entries that had none):
  BucketNotEmpty: '0015-00000301', // DeleteBucket of a bucket with objects (OSS answer in the Go v2 SDK's tests)
  NoSuchCORSConfiguration: '0034-00000001', // GetBucketCors without rules
  NotSymlink: '0043-00000101', // GetSymlink of an object that is not a link
  MissingContentLength: '0017-00000101', // no Content-Length
  IncompleteBody: '0017-00000505', // body size differs from Content-Length
  MalformedPOSTRequest: '0006-00000104', // PostObject form fields not as required
  InvalidPolicyDocument: '0006-00000201', // PostObject policy not valid
};

describe('error catalogue ECs', { timeout: 10_000 }, () => {
  test('every entry has an EC of OSS\'s form, or says why it has none', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      const has = entry.ec !== undefined;
      const why = entry.noEc !== undefined && entry.noEc.length > 0;
      assert.ok(has !== why, `${code}: exactly one of ec / noEc`);
      if (has) assert.match(entry.ec!, /^\d{4}-\d{8}$/, code);
    }
  });

  test('each code OSS documents an EC for carries that EC', () => {
    for (const [code, ec] of Object.entries(OSS_DOCUMENTED_EC)) {
      assert.equal(ERROR_CATALOGUE[code]?.ec, ec, code);
    }
  });
});
