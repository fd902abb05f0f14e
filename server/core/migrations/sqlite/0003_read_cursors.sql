-- The newest seq each person has read in each channel they joined.
CREATE TABLE read_cursors (
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id    BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    last_read_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_id)
);
-- Members from before read cursors have read everything so far.
INSERT INTO read_cursors (user_id, channel_id, last_read_seq)
SELECT m.user_id, m.channel_id, c.last_seq FROM channel_members m JOIN channels c ON c.id = m.channel_id;
