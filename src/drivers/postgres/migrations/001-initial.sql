-- ossd metadata in PostgreSQL, first version (issue 19; docs/storage.md "Scale-out design").
-- Mirrors the SQLite store's tables (src/drivers/sqlite/schema.ts, version-store.ts,
-- multipart-store.ts, inline-store.ts, unsettled-store.ts; src/keys/key-store.ts) column for
-- column, so both drivers can share the row codec (src/drivers/sqlite/rows.ts): JSON stays
-- in text columns as there. Run by migrations.ts inside one transaction holding the
-- migration advisory lock; never edit a released migration, add the next file instead.
--
-- Keys and blob ids are COLLATE "C": compared bytewise over UTF-8, OSS's listing order
-- (SQLite's BINARY). Sizes, times and revisions are bigint (JavaScript numbers up to 2^53).

-- Revisions (the compare-and-set tokens of object rows) never repeat across nodes: each
-- nextval is a block of 1,024 values only the node that drew it hands out (docs/storage.md
-- "Revisions unique across nodes"). Sequences are never rolled back, even by a crash.
CREATE SEQUENCE object_revision AS bigint INCREMENT BY 1024 START WITH 1024 NO CYCLE;

CREATE TABLE buckets (
  name text COLLATE "C" PRIMARY KEY,
  created_ms bigint NOT NULL,
  acl text NOT NULL,
  storage_class text NOT NULL,
  redundancy text NOT NULL,
  cors text,                -- JSON (src/engine/cors.ts); NULL when none is set
  versioning text,          -- 'Enabled' | 'Suspended'; NULL while never enabled
  tags text                 -- JSON tag set; NULL when none is set
);

-- The current version of each key.
CREATE TABLE objects (
  bucket text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  type text NOT NULL,
  size bigint NOT NULL,
  etag text NOT NULL,
  crc text NOT NULL,
  blob text COLLATE "C",
  mtime_ms bigint NOT NULL,
  content_type text NOT NULL,
  headers text NOT NULL,
  meta text NOT NULL,
  acl text NOT NULL,
  tags text NOT NULL,
  storage_class text NOT NULL,
  revision bigint NOT NULL,
  symlink_target text COLLATE "C",
  base_size bigint,
  base_crc text,
  version_id text COLLATE "C",
  PRIMARY KEY (bucket, key)
);
CREATE INDEX objects_blob ON objects (blob) WHERE blob IS NOT NULL;

-- Noncurrent versions and delete markers; a higher seq is a newer version of its key.
CREATE TABLE object_versions (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bucket text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  version_id text COLLATE "C" NOT NULL,
  delete_marker boolean NOT NULL,
  type text NOT NULL,
  size bigint NOT NULL,
  etag text NOT NULL,
  crc text NOT NULL,
  blob text COLLATE "C",
  mtime_ms bigint NOT NULL,
  content_type text NOT NULL,
  headers text NOT NULL,
  meta text NOT NULL,
  acl text NOT NULL,
  tags text NOT NULL,
  storage_class text NOT NULL,
  revision bigint NOT NULL,
  symlink_target text COLLATE "C",
  base_size bigint,
  base_crc text
);
CREATE UNIQUE INDEX object_versions_order ON object_versions (bucket, key, seq);
CREATE UNIQUE INDEX object_versions_id ON object_versions (bucket, key, version_id);
CREATE INDEX object_versions_blob ON object_versions (blob) WHERE blob IS NOT NULL;

-- The part blobs of a noncurrent multipart version.
CREATE TABLE version_segments (
  seq bigint NOT NULL,
  idx integer NOT NULL,
  blob text COLLATE "C" NOT NULL,
  size bigint NOT NULL,
  crc text NOT NULL,
  PRIMARY KEY (seq, idx)
);
CREATE INDEX version_segments_blob ON version_segments (blob);

CREATE TABLE uploads (
  bucket text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  upload_id text COLLATE "C" NOT NULL,
  initiated_ms bigint NOT NULL,
  attrs text NOT NULL,
  forbid_overwrite boolean NOT NULL,
  PRIMARY KEY (bucket, key, upload_id)
);

CREATE TABLE upload_parts (
  upload_id text COLLATE "C" NOT NULL,
  part_number integer NOT NULL,
  size bigint NOT NULL,
  etag text NOT NULL,
  crc text NOT NULL,
  blob text COLLATE "C",
  mtime_ms bigint NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX upload_parts_blob ON upload_parts (blob) WHERE blob IS NOT NULL;

-- The segments of a current object: the parts of a completed multipart upload, and (on an
-- immutable blob store) the appends of an appendable object, one row per append, found by
-- range through start_offset (the byte of the object where the segment begins).
CREATE TABLE object_segments (
  bucket text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  idx integer NOT NULL,
  blob text COLLATE "C" NOT NULL,
  size bigint NOT NULL,
  crc text NOT NULL,
  start_offset bigint NOT NULL,
  PRIMARY KEY (bucket, key, idx)
);
CREATE INDEX object_segments_blob ON object_segments (blob);
CREATE INDEX object_segments_range ON object_segments (bucket, key, start_offset);

-- Small objects' bytes (and small append segments), written and dropped by the
-- compare-and-set that adds or removes their last reference.
CREATE TABLE inline_blobs (
  blob text COLLATE "C" PRIMARY KEY,
  data bytea NOT NULL
);

-- Blobs whose bytes may not match the metadata: work in flight (seq > 0, by node_id) and
-- blobs a commit left unreferenced (seq 0, deletable once dereferenced_ms is older than
-- the GC grace period). Visited by the node holding the gc lease, or the recover lease
-- of a dead node (docs/storage.md "Garbage collection with a grace period").
CREATE TABLE unsettled_blobs (
  blob text COLLATE "C" PRIMARY KEY,
  seq bigint NOT NULL,
  node_id text NOT NULL,
  recorded_ms bigint NOT NULL
);
CREATE INDEX unsettled_blobs_node ON unsettled_blobs (node_id, recorded_ms);

-- Access keys besides the root, and temporary (STS-shaped) credentials (src/keys/key-store.ts).
CREATE TABLE access_keys (
  id text COLLATE "C" PRIMARY KEY,
  secret bytea NOT NULL,
  enabled boolean NOT NULL,
  buckets text,
  read_only boolean NOT NULL,
  created_ms bigint NOT NULL
);

CREATE TABLE temporary_credentials (
  id text COLLATE "C" PRIMARY KEY,
  secret bytea NOT NULL,
  token_sha256 text NOT NULL,
  parent text,
  buckets text,
  read_only boolean NOT NULL,
  created_ms bigint NOT NULL,
  expires_ms bigint NOT NULL
);

-- Background work (GC, compaction, recovery of a dead node) and node liveness: one holder
-- per name until expires_ms (docs/storage.md "Background work under leases").
CREATE TABLE leases (
  name text COLLATE "C" PRIMARY KEY,
  holder text NOT NULL,
  expires_ms bigint NOT NULL
);
