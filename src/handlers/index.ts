/** Operation name → handler. Every row of the operation table has one (test/unit/operations.test.ts). */
import type { KeyResolver } from '../protocol/auth/types.js';
import type { RequestContext } from '../protocol/context.js';
import { deleteBucketTags, getBucketTags, putBucketTags } from './bucket-tagging.js';
import { deleteBucketCors, getBucketCors, optionObject, putBucketCors } from './bucket-cors.js';
import { postObject } from './post-object.js';
import { deleteBucketAppendSizeLimit, getBucketAppendSizeLimit, putBucketAppendSizeLimit } from './bucket-append-limit.js';
import {
  deleteBucket,
  getBucketAcl,
  getBucketInfo,
  getBucketLocation,
  listBuckets,
  putBucket,
  putBucketAcl,
} from './bucket.js';
import { deleteMultipleObjects, deleteObject } from './delete.js';
import { getBucketVersioning, listObjectVersions, putBucketVersioning } from './bucket-versioning.js';
import { listObjects, listObjectsV2 } from './list.js';
import { listLiveChannel } from './live-channel.js';
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, uploadPart, uploadPartCopy } from './multipart.js';
import { listMultipartUploads, listParts } from './multipart-list.js';
import { getObjectAcl, putObjectAcl } from './object-acl.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './object-tagging.js';
import { getSymlink, putSymlink } from './symlink.js';
import { getObject, getObjectMeta, headObject } from './object-read.js';
import { appendObject, copyObject, putObject, sealAppendObject } from './object-write.js';

export interface HandlerExtras {
  /** Checks that the principal may read a second object (CopyObject's source: the version it names, if any). */
  authorizeRead: (bucket: string, key: string, versionId?: string) => Promise<void>;
  /** Access keys: PostObject verifies the signature in its form itself. */
  keys: KeyResolver;
  /** Checks that the form's signer (undefined: anonymous) may write the key (PostObject). */
  authorizeWrite: (accessKeyId: string | undefined, bucket: string, key: string) => Promise<void>;
}

export type Handler = (ctx: RequestContext, extras: HandlerExtras) => Promise<void>;

export const HANDLERS: Record<string, Handler> = {
  ListBuckets: listBuckets,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucketInfo: getBucketInfo,
  GetBucketLocation: getBucketLocation,
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  DeleteMultipleObjects: deleteMultipleObjects,
  PutObject: putObject,
  CopyObject: (ctx, extras) => copyObject(ctx, extras.authorizeRead),
  AppendObject: appendObject,
  SealAppendObject: sealAppendObject,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: (ctx, extras) => uploadPartCopy(ctx, extras.authorizeRead),
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
  GetObject: getObject,
  HeadObject: headObject,
  GetObjectMeta: getObjectMeta,
  DeleteObject: deleteObject,
  PutObjectAcl: putObjectAcl,
  GetObjectAcl: getObjectAcl,
  PutSymlink: putSymlink,
  GetSymlink: getSymlink,
  PutObjectTagging: putObjectTagging,
  GetObjectTagging: getObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  PostObject: postObject,
  PutBucketCors: putBucketCors,
  GetBucketCors: getBucketCors,
  DeleteBucketCors: deleteBucketCors,
  OptionObject: optionObject,
  PutBucketVersioning: putBucketVersioning,
  GetBucketVersioning: getBucketVersioning,
  ListObjectVersions: listObjectVersions,
  PutBucketTags: putBucketTags,
  GetBucketTags: getBucketTags,
  DeleteBucketTags: deleteBucketTags,
  ListLiveChannel: listLiveChannel,
  PutBucketAppendSizeLimit: putBucketAppendSizeLimit,
  GetBucketAppendSizeLimit: getBucketAppendSizeLimit,
  DeleteBucketAppendSizeLimit: deleteBucketAppendSizeLimit,
};
