-- A message can be deleted: its text is wiped and `deleted_at` set, and the
-- deletion is an event of the channel's stream (kind 'deleted', under the
-- channel's next seq) whose `refers_to` is the deleted message's seq, so a
-- client that catches up hears of it in order.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'joined', 'left', 'deleted'));
ALTER TABLE messages ADD COLUMN refers_to BIGINT;
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
