/**
 * Every query parameter that names an OSS operation, grouped as OSS's API reference
 * groups them, with the operations each one selects. Taken from OSS's full operation
 * list, not from what ossd implements: a name that no row of the operation table handles
 * makes a request 501 NotImplemented instead of running as the base operation
 * (operations.ts route(); issue 15: `DELETE /bucket?responseHeader` used to delete the
 * bucket).
 *
 * Sources (2026-12): the OSS "API overview" / "List of operations by function" page and
 * the request syntax of each operation's page (alibabacloud.com/help/en/oss/developer-
 * reference/<operation>), cross-checked with the query parameters the official SDKs send:
 * alibabacloud-oss-go-sdk-v2 (oss/api_op_*.go), alibabacloud-oss-python-sdk-v2
 * (operations/*.py), aliyun-oss-go-sdk v1 (oss/conn.go signKeyList, livechannel.go,
 * select_object.go) and ali-oss (lib/**). OSS Vector and Table buckets use their own
 * endpoints and JSON APIs and are not listed.
 *
 * Parameters that only accompany one of these (`comp=add`, `inventoryId`, `styleName`,
 * `qosRequester`, `startTime`, `x-oss-access-point-name`, ...) or modify an operation
 * (`position`, `partNumber`, `versionId`, `response-*`, listing parameters, `security-token`,
 * `x-oss-traffic-limit`, ...) are not operation names; `comp` and `status` are listed
 * because they select live-channel and CNAME operations.
 */
export interface OperationNameGroup {
  group: string;
  names: readonly string[];
  /** The OSS operations these names select (for docs/operations.md). */
  operations: string;
}

export const OSS_OPERATION_NAME_GROUPS: readonly OperationNameGroup[] = [
  { group: 'Service and region', names: ['regions', 'regionList', 'cloudboxes'], operations: 'DescribeRegions, ListCloudBoxes; `regionList` is ListBuckets of one region' },
  { group: 'Bucket basics', names: ['bucketInfo', 'location', 'stat'], operations: 'GetBucketInfo, GetBucketLocation, GetBucketStat' },
  {
    group: 'Retention policy (WORM)',
    names: ['worm', 'wormId', 'wormExtend'],
    operations: 'InitiateBucketWorm, AbortBucketWorm, CompleteBucketWorm, ExtendBucketWorm, GetBucketWorm',
  },
  {
    group: 'Object-level WORM',
    names: ['objectWorm', 'retention', 'legalHold'],
    operations: 'Put/GetBucketObjectWormConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold',
  },
  { group: 'ACL', names: ['acl'], operations: 'Put/GetBucketAcl, Put/GetObjectAcl' },
  { group: 'Lifecycle', names: ['lifecycle'], operations: 'Put/Get/DeleteBucketLifecycle' },
  { group: 'Transfer acceleration', names: ['transferAcceleration'], operations: 'Put/GetBucketTransferAcceleration' },
  { group: 'Versioning', names: ['versioning', 'versions'], operations: 'Put/GetBucketVersioning, ListObjectVersions' },
  {
    group: 'Replication',
    names: ['replication', 'replicationLocation', 'replicationProgress', 'rtc'],
    operations: 'PutBucketReplication, PutBucketRTC, GetBucketReplication, GetBucketReplicationLocation, GetBucketReplicationProgress, DeleteBucketReplication',
  },
  { group: 'Policy', names: ['policy', 'policyStatus'], operations: 'Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus' },
  { group: 'Inventory', names: ['inventory'], operations: 'Put/Get/List/DeleteBucketInventory' },
  {
    group: 'Logging',
    // userDefineLogFieldsConfig: the spelling an outside probe sent (issue 15); refused too, so neither spelling can fall through to DeleteBucket.
    names: ['logging', 'userDefinedLogFieldsConfig', 'userDefineLogFieldsConfig'],
    operations: 'Put/Get/DeleteBucketLogging, Put/Get/DeleteUserDefinedLogFieldsConfig',
  },
  { group: 'Static website', names: ['website'], operations: 'Put/Get/DeleteBucketWebsite' },
  { group: 'Hotlink protection', names: ['referer'], operations: 'Put/GetBucketReferer' },
  { group: 'Tags', names: ['tagging'], operations: 'Put/Get/DeleteBucketTags, Put/Get/DeleteObjectTagging' },
  { group: 'Encryption', names: ['encryption'], operations: 'Put/Get/DeleteBucketEncryption' },
  { group: 'Pay-by-requester', names: ['requestPayment'], operations: 'Put/GetBucketRequestPayment' },
  { group: 'CORS', names: ['cors'], operations: 'Put/Get/DeleteBucketCors' },
  { group: 'Access tracking', names: ['accessmonitor'], operations: 'Put/GetBucketAccessMonitor' },
  { group: 'Data indexing', names: ['metaQuery'], operations: 'OpenMetaQuery, GetMetaQueryStatus, DoMetaQuery, CloseMetaQuery' },
  { group: 'Data pipeline', names: ['dataPipeline'], operations: 'DoDataPipeLineAction' },
  { group: 'Resource group', names: ['resourceGroup'], operations: 'Put/GetBucketResourceGroup' },
  { group: 'Custom domain names (CNAME)', names: ['cname', 'comp'], operations: 'PutCname, ListCname, DeleteCname, CreateCnameToken, GetCnameToken' },
  { group: 'Image styles', names: ['style'], operations: 'Put/Get/List/DeleteStyle' },
  { group: 'TLS version', names: ['httpsConfig'], operations: 'Put/GetBucketHttpsConfig' },
  {
    group: 'Anti-DDoS',
    names: ['antiDDos', 'bucketAntiDDos'],
    operations: 'InitUserAntiDDosInfo, GetUserAntiDDosInfo, InitBucketAntiDDosInfo, UpdateBucketAntiDDosInfo, ListBucketAntiDDosInfo',
  },
  { group: 'Access points', names: ['accessPoint', 'accessPointPolicy'], operations: 'Create/Get/List/DeleteAccessPoint, Put/Get/DeleteAccessPointPolicy' },
  {
    group: 'Object FC access points',
    names: ['accessPointForObjectProcess', 'accessPointConfigForObjectProcess', 'accessPointPolicyForObjectProcess', 'x-oss-write-get-object-response'],
    operations: 'Create/Get/List/DeleteAccessPointForObjectProcess, Put/GetAccessPointConfigForObjectProcess, Put/Get/DeleteAccessPointPolicyForObjectProcess, WriteGetObjectResponse',
  },
  {
    group: 'Block public access',
    names: ['publicAccessBlock'],
    operations: 'Put/Get/DeletePublicAccessBlock (account, bucket and access point)',
  },
  { group: 'Archive direct read', names: ['bucketArchiveDirectRead'], operations: 'Put/GetBucketArchiveDirectRead' },
  {
    group: 'Redundancy type conversion',
    names: ['redundancyTransition'],
    operations: 'Create/Get/List/DeleteBucketDataRedundancyTransition, ListUserDataRedundancyTransition',
  },
  { group: 'Overwrite protection', names: ['overwriteConfig'], operations: 'Put/Get/DeleteBucketOverwriteConfig' },
  { group: 'Response headers', names: ['responseHeader'], operations: 'Put/Get/DeleteBucketResponseHeader' },
  { group: 'OSS accelerator', names: ['dataAccelerator'], operations: 'Put/Get/DeleteBucketDataAccelerator' },
  {
    group: 'QoS and resource pools',
    names: ['qos', 'qosInfo', 'requesterQosInfo', 'resourcePool', 'resourcePoolInfo', 'resourcePoolBuckets', 'resourcePoolBucketGroup', 'priorityQos', 'requesterPriorityQos'],
    operations: 'GetUserQoSInfo, Put/Get/DeleteBucketQoSInfo, Put/Get/List/DeleteBucketRequesterQoSInfo, ListResourcePools, GetResourcePoolInfo, ListResourcePoolBuckets, resource pool requester and priority QoS, Put/ListResourcePoolBucketGroup(s)',
  },
  { group: 'Async fetch', names: ['asyncFetch'], operations: 'PutAsyncFetchTask, GetAsyncFetchTask' },
  {
    group: 'Objects',
    names: ['delete', 'objectMeta', 'append', 'seal', 'restore', 'cleanRestoredObject', 'symlink', 'objectInfo'],
    operations: 'DeleteMultipleObjects, GetObjectMeta, AppendObject, SealAppendObject, RestoreObject, CleanRestoredObject, Put/GetSymlink',
  },
  {
    group: 'Data processing, select and callbacks',
    names: ['x-oss-process', 'x-oss-async-process', 'img', 'udf', 'udfImage', 'udfApplication', 'udfApplicationLog', 'udfImageDesc', 'select', 'callback'],
    operations: 'image processing (GET ?x-oss-process), ProcessObject, AsyncProcessObject, SelectObject / CreateSelectObjectMeta (x-oss-process=csv/select …), UDF, upload callbacks',
  },
  {
    group: 'Multipart upload',
    names: ['uploads', 'uploadId'],
    operations: 'InitiateMultipartUpload, UploadPart(Copy), CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads',
  },
  {
    group: 'LiveChannel',
    names: ['live', 'vod', 'status'],
    operations: 'Put/Get/List/DeleteLiveChannel, PutLiveChannelStatus, GetLiveChannelStat/History (comp=stat/history), PostVodPlaylist, GetVodPlaylist',
  },
];

export const OSS_OPERATION_NAMES: ReadonlySet<string> = new Set(OSS_OPERATION_NAME_GROUPS.flatMap((g) => g.names));

/** The bucket sub-resource of the append size limit extension (docs/extensions.md "Append size limit"). */
export const APPEND_LIMIT_SUBRESOURCE = 'x-ossd-append-limit';

/**
 * Sub-resources of ossd's own extension operations: not OSS's, but operation names all the
 * same: at a method or level no row handles, 501 NotImplemented, never the base operation
 * (`PUT /key?x-ossd-append-limit` must not be a PutObject). The `x-ossd-` prefix keeps them
 * clear of OSS's names.
 */
export const OSSD_EXTENSION_NAMES: ReadonlySet<string> = new Set([APPEND_LIMIT_SUBRESOURCE]);
