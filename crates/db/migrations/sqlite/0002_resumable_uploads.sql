-- Resumable (tus) uploads: the quota they reserve, the uploads and their stored segments.
ALTER TABLE users ADD COLUMN reserved_files INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN reserved_storage INTEGER NOT NULL DEFAULT 0;

CREATE TABLE resumable_uploads (
    id            TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    length        INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL DEFAULT 0,
    metadata      TEXT    NOT NULL DEFAULT '',
    file_id       INTEGER REFERENCES files (id),
    created_at    INTEGER NOT NULL,
    touched_at    INTEGER NOT NULL
);
CREATE INDEX resumable_uploads_touched ON resumable_uploads (touched_at);

CREATE TABLE resumable_segments (
    upload_id   TEXT    NOT NULL REFERENCES resumable_uploads (id),
    seg_offset  INTEGER NOT NULL,
    length      INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    storage_key TEXT    NOT NULL,
    PRIMARY KEY (upload_id, seg_offset)
);
CREATE UNIQUE INDEX resumable_segments_key ON resumable_segments (storage_key);
