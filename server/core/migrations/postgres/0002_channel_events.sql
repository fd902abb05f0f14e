-- Every row of `messages` is an event of its channel's stream, under the
-- channel's next seq: a message, or a member joining or leaving the channel.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'joined', 'left'));
