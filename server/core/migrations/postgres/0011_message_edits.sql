-- A message can be edited by its author: its text becomes the new one and
-- `edited_at` is set, the text it had before is kept in `message_versions`
-- (for anyone who may read the channel), and the edit is an event of the
-- channel's stream (kind 'edited', under the channel's next seq) whose
-- `refers_to` is the message's seq and whose `body` is the new text, so a
-- client that catches up hears of it in order. Deleting the message wipes
-- all of it. The kinds of reactions' events (0012) and pins' (0013) are let
-- in here too, so that the table is rebuilt once.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'joined', 'left', 'deleted', 'edited',
                       'reaction_added', 'reaction_removed', 'pinned', 'unpinned'));
ALTER TABLE messages ADD COLUMN edited_at BIGINT;

-- The texts a message had before each edit, oldest first (`version` 1 is
-- what was first posted), each with when it was written.
CREATE TABLE message_versions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    body       TEXT   NOT NULL,
    written_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, version)
);
