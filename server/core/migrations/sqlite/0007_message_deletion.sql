-- A message can be deleted: its text is wiped and `deleted_at` set, and the
-- deletion is an event of the channel's stream (kind 'deleted', under the
-- channel's next seq) whose `refers_to` is the deleted message's seq, so a
-- client that catches up hears of it in order. SQLite cannot change the
-- CHECK on `kind` in place: `messages` is rebuilt (nothing refers to it).
CREATE TABLE messages_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    client_id  TEXT   NOT NULL,
    author_id  BIGINT NOT NULL REFERENCES users (id),
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    kind       TEXT   NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'joined', 'left', 'deleted')),
    refers_to  BIGINT,
    deleted_at BIGINT,
    UNIQUE (channel_id, seq),
    UNIQUE (channel_id, client_id)
);
INSERT INTO messages_new (id, channel_id, seq, client_id, author_id, body, created_at, kind)
    SELECT id, channel_id, seq, client_id, author_id, body, created_at, kind FROM messages;

-- Ids are never handed out twice, even those of rows deleted before.
DELETE FROM sqlite_sequence WHERE name = 'messages_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'messages_new', seq FROM sqlite_sequence WHERE name = 'messages';

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
