-- A message can be edited by its author: its text becomes the new one and
-- `edited_at` is set, the text it had before is kept in `message_versions`
-- (for anyone who may read the channel), and the edit is an event of the
-- channel's stream (kind 'edited', under the channel's next seq) whose
-- `refers_to` is the message's seq and whose `body` is the new text, so a
-- client that catches up hears of it in order. Deleting the message wipes
-- all of it. The kinds of reactions' events (0012) and pins' (0013) are let
-- in here too, so that the table is rebuilt once. SQLite cannot change the CHECK on `kind` in place: `messages`
-- is rebuilt (nothing refers to it yet).
CREATE TABLE messages_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    client_id  TEXT   NOT NULL,
    author_id  BIGINT NOT NULL REFERENCES users (id),
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    kind       TEXT   NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'joined', 'left', 'deleted', 'edited', 'reaction_added', 'reaction_removed', 'pinned', 'unpinned')),
    refers_to  BIGINT,
    deleted_at BIGINT,
    edited_at  BIGINT,
    UNIQUE (channel_id, seq),
    UNIQUE (channel_id, client_id)
);
INSERT INTO messages_new (id, channel_id, seq, client_id, author_id, body, created_at, kind, refers_to, deleted_at)
    SELECT id, channel_id, seq, client_id, author_id, body, created_at, kind, refers_to, deleted_at FROM messages;

-- Ids are never handed out twice, even those of rows deleted before.
DELETE FROM sqlite_sequence WHERE name = 'messages_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'messages_new', seq FROM sqlite_sequence WHERE name = 'messages';

DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

-- The texts a message had before each edit, oldest first (`version` 1 is
-- what was first posted), each with when it was written.
CREATE TABLE message_versions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    body       TEXT   NOT NULL,
    written_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, version)
);
