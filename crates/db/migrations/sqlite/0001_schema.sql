-- defdrive schema for SQLite. Times are microseconds since the Unix epoch; flags are 0/1.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER,
    name          TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    max_files     INTEGER NOT NULL,
    max_storage   INTEGER NOT NULL,
    used_files    INTEGER NOT NULL DEFAULT 0,
    used_storage  INTEGER NOT NULL DEFAULT 0,
    is_admin      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    extension   TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    public      INTEGER NOT NULL DEFAULT 0,
    storage_key TEXT    NOT NULL
);
CREATE UNIQUE INDEX files_live_name ON files (user_id, name) WHERE deleted_at IS NULL;
CREATE INDEX files_live_by_user ON files (user_id, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX files_storage_key ON files (storage_key);

CREATE TABLE file_type_totals (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    extension  TEXT    NOT NULL,
    file_count INTEGER NOT NULL,
    total_size INTEGER NOT NULL,
    PRIMARY KEY (user_id, extension)
);

CREATE TABLE accesses (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER,
    file_id      INTEGER NOT NULL REFERENCES files (id),
    name         TEXT    NOT NULL DEFAULT '',
    token        TEXT    NOT NULL,
    subnets      TEXT    NOT NULL DEFAULT '[]',
    ips          TEXT    NOT NULL DEFAULT '[]',
    expires      INTEGER,
    public       INTEGER NOT NULL DEFAULT 0,
    one_time_use INTEGER NOT NULL DEFAULT 0,
    used         INTEGER NOT NULL DEFAULT 0,
    ttl          INTEGER NOT NULL DEFAULT 0,
    enable_ttl   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accesses_token ON accesses (token);
CREATE INDEX accesses_live_by_file ON accesses (file_id, id) WHERE deleted_at IS NULL;

CREATE TABLE pending_uploads (
    storage_key TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    touched_at  INTEGER NOT NULL
);
CREATE INDEX pending_uploads_touched ON pending_uploads (touched_at);
