-- Threads: a reply is a message of its channel's stream (kind 'message',
-- under the channel's next seq) whose `thread_of` is the seq of the message
-- it replies to (its thread's root, itself no reply). `in_channel` (0 or 1):
-- the reply was also sent to the channel, so it shows and counts there too.
-- A `deleted` event of a reply carries the reply's `thread_of` as well, so
-- every event that changes a thread names it.
ALTER TABLE messages ADD COLUMN thread_of BIGINT;
ALTER TABLE messages ADD COLUMN in_channel BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_by_thread ON messages (channel_id, thread_of) WHERE thread_of IS NOT NULL;

-- Who follows a thread (`following` 1), or chose not to (0), and each
-- person's read cursor in it: the newest reply's seq they have read.
-- Posting in a thread follows it; so does having written its root.
CREATE TABLE thread_follows (
    channel_id    BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    root_seq      BIGINT NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    following     BIGINT NOT NULL,
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, root_seq, user_id)
);
CREATE INDEX thread_follows_by_user ON thread_follows (user_id, following);

-- Thread notices name the thread's root: 'thread_read' (`value` is the
-- cursor) and 'thread_followed' (`value` 1 when following, 0 when not).
ALTER TABLE notices ADD COLUMN root_seq BIGINT;
