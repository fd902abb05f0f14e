-- Mentions: each person a message mentions (by name, or as one of those
-- `@channel` / `@here` reached) who may read its channel, with the
-- message's seq. `thread_of` is set for a reply shown only in its thread:
-- it counts as read with the thread, not with the channel. Written with a
-- notice of kind 'mentioned' on the person's stream (`value` the seq,
-- `root_seq` the thread).
CREATE TABLE mentions (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    thread_of  BIGINT,
    org_id     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_id, seq)
);
CREATE INDEX mentions_by_person ON mentions (user_id, org_id, created_at);
