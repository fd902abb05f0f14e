-- Direct conversations are channels of kind 'direct'. SQLite cannot change a
-- CHECK constraint in place, and this runs inside the migration's
-- transaction, where foreign keys cannot be switched off; so `channels` and
-- the three tables that refer to it are rebuilt together: the new copies
-- refer to each other, the old ones are dropped children first (so dropping
-- cascades to nothing), and renaming the new `channels` into place carries
-- the references along.
CREATE TABLE channels_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    kind       TEXT   NOT NULL CHECK (kind IN ('public', 'private', 'supervisor', 'direct')),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_seq   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (org_id, name)
);
INSERT INTO channels_new (id, org_id, name, kind, created_by, created_at, last_seq)
    SELECT id, org_id, name, kind, created_by, created_at, last_seq FROM channels;

CREATE TABLE channel_members_new (
    channel_id BIGINT NOT NULL REFERENCES channels_new (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at  BIGINT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
INSERT INTO channel_members_new (channel_id, user_id, joined_at)
    SELECT channel_id, user_id, joined_at FROM channel_members;

CREATE TABLE messages_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id BIGINT NOT NULL REFERENCES channels_new (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    client_id  TEXT   NOT NULL,
    author_id  BIGINT NOT NULL REFERENCES users (id),
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    kind       TEXT   NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'joined', 'left')),
    UNIQUE (channel_id, seq),
    UNIQUE (channel_id, client_id)
);
INSERT INTO messages_new (id, channel_id, seq, client_id, author_id, body, created_at, kind)
    SELECT id, channel_id, seq, client_id, author_id, body, created_at, kind FROM messages;

CREATE TABLE read_cursors_new (
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id    BIGINT NOT NULL REFERENCES channels_new (id) ON DELETE CASCADE,
    last_read_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_id)
);
INSERT INTO read_cursors_new (user_id, channel_id, last_read_seq)
    SELECT user_id, channel_id, last_read_seq FROM read_cursors;

-- Ids are never handed out twice, even those of rows deleted before.
DELETE FROM sqlite_sequence WHERE name IN ('channels_new', 'messages_new');
INSERT INTO sqlite_sequence (name, seq)
    SELECT name || '_new', seq FROM sqlite_sequence WHERE name IN ('channels', 'messages');

DROP TABLE read_cursors;
DROP TABLE messages;
DROP TABLE channel_members;
DROP TABLE channels;
ALTER TABLE channels_new RENAME TO channels;
ALTER TABLE channel_members_new RENAME TO channel_members;
ALTER TABLE messages_new RENAME TO messages;
ALTER TABLE read_cursors_new RENAME TO read_cursors;
CREATE INDEX channel_members_user ON channel_members (user_id);
