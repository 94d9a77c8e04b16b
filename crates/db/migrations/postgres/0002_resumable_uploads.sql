-- Resumable (tus) uploads: the quota they reserve, the uploads and their stored segments.
ALTER TABLE users ADD COLUMN reserved_files BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN reserved_storage BIGINT NOT NULL DEFAULT 0;

CREATE TABLE resumable_uploads (
    id            TEXT    PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    length        BIGINT  NOT NULL,
    upload_offset BIGINT  NOT NULL DEFAULT 0,
    metadata      TEXT    NOT NULL DEFAULT '',
    file_id       BIGINT  REFERENCES files (id),
    created_at    BIGINT  NOT NULL,
    touched_at    BIGINT  NOT NULL
);
CREATE INDEX resumable_uploads_touched ON resumable_uploads (touched_at);

CREATE TABLE resumable_segments (
    upload_id   TEXT    NOT NULL REFERENCES resumable_uploads (id),
    seg_offset  BIGINT  NOT NULL,
    length      BIGINT  NOT NULL,
    hash        TEXT    NOT NULL,
    storage_key TEXT    NOT NULL,
    PRIMARY KEY (upload_id, seg_offset)
);
CREATE UNIQUE INDEX resumable_segments_key ON resumable_segments (storage_key);
