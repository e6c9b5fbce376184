-- Brings 001 up to the SQLite store's schema (src/drivers/sqlite/schema.ts ADDED_COLUMNS,
-- journal-store.ts, usage-store.ts): seals, the append size limit, Idempotency-Key records,
-- the append journal and per-bucket usage counters. Written for src/drivers/postgres/metadata-store.ts.

-- SealAppendObject: when the object was first sealed (ms since the epoch); NULL: not sealed.
ALTER TABLE objects ADD COLUMN sealed_ms bigint;
ALTER TABLE object_versions ADD COLUMN sealed_ms bigint;
-- The append size limit extension (docs/extensions.md): bytes; NULL: OSS's 5 GiB.
ALTER TABLE buckets ADD COLUMN append_limit bigint;

-- Appends made with an Idempotency-Key (append-key-store.ts), written and dropped only by
-- the compare-and-set that commits their object's row. ordinal: the order a key's records
-- were stored in (the newest are kept); created_ms: for expiry.
CREATE TABLE append_keys (
  bucket text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  token text COLLATE "C" NOT NULL,
  ordinal bigint NOT NULL,
  position bigint NOT NULL,
  length bigint NOT NULL,
  crc_before text NOT NULL,
  crc_after text NOT NULL,
  blob text COLLATE "C",
  created_ms bigint NOT NULL,
  PRIMARY KEY (bucket, key, token)
);
CREATE INDEX append_keys_order ON append_keys (bucket, key, ordinal);
CREATE INDEX append_keys_age ON append_keys (created_ms);

-- Small appends' bytes committed with their row, until their (mutable) blob file is synced
-- (journal-store.ts; engine/journal-flusher.ts). Unused on an immutable blob store.
CREATE TABLE append_journal (
  blob text COLLATE "C" NOT NULL,
  byte_offset bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (blob, byte_offset)
);

-- Objects and bytes per bucket, kept by triggers in the transaction of every change to
-- `objects` and `object_versions` (delete markers are not counted), as SQLite's
-- usage-store.ts. Unlike SQLite's one row per bucket, each bucket has up to 64 shards,
-- picked by the writing connection (pg_backend_pid() % 64): one hot row per bucket would
-- make every commit in the bucket wait for the one before it, across all nodes. A bucket's
-- usage is the sum of its shards.
CREATE TABLE bucket_usage (
  bucket text COLLATE "C" NOT NULL,
  shard integer NOT NULL,
  objects bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  noncurrent_versions bigint NOT NULL DEFAULT 0,
  noncurrent_bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, shard)
);

CREATE FUNCTION bucket_usage_add(b text, d_objects bigint, d_bytes bigint, d_versions bigint, d_version_bytes bigint) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO bucket_usage AS u (bucket, shard, objects, bytes, noncurrent_versions, noncurrent_bytes)
  VALUES (b, pg_backend_pid() % 64, d_objects, d_bytes, d_versions, d_version_bytes)
  ON CONFLICT (bucket, shard) DO UPDATE SET
    objects = u.objects + excluded.objects,
    bytes = u.bytes + excluded.bytes,
    noncurrent_versions = u.noncurrent_versions + excluded.noncurrent_versions,
    noncurrent_bytes = u.noncurrent_bytes + excluded.noncurrent_bytes
$$;

CREATE FUNCTION bucket_usage_objects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM bucket_usage_add(NEW.bucket, 1, NEW.size, 0, 0);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM bucket_usage_add(OLD.bucket, -1, -OLD.size, 0, 0);
  ELSIF NEW.size <> OLD.size THEN
    PERFORM bucket_usage_add(NEW.bucket, 0, NEW.size - OLD.size, 0, 0);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION bucket_usage_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NOT NEW.delete_marker THEN
    PERFORM bucket_usage_add(NEW.bucket, 0, 0, 1, NEW.size);
  ELSIF TG_OP = 'DELETE' AND NOT OLD.delete_marker THEN
    PERFORM bucket_usage_add(OLD.bucket, 0, 0, -1, -OLD.size);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION bucket_usage_bucket_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM bucket_usage WHERE bucket = OLD.name;
  RETURN NULL;
END $$;

CREATE TRIGGER bucket_usage_objects AFTER INSERT OR DELETE OR UPDATE OF size ON objects
  FOR EACH ROW EXECUTE FUNCTION bucket_usage_objects();
CREATE TRIGGER bucket_usage_versions AFTER INSERT OR DELETE ON object_versions
  FOR EACH ROW EXECUTE FUNCTION bucket_usage_versions();
CREATE TRIGGER bucket_usage_bucket_gone AFTER DELETE ON buckets
  FOR EACH ROW EXECUTE FUNCTION bucket_usage_bucket_gone();

-- Recovery's full sweep reads every appendable object (MetadataStore.appendableObjects).
CREATE INDEX objects_appendable ON objects (bucket, key) WHERE type = 'Appendable';
