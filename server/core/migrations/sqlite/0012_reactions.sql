-- Reactions: anyone who may read a channel may add an emoji to a message,
-- once each, and take it back. Each is an event of the channel's stream
-- (kind 'reaction_added' or 'reaction_removed', under the channel's next
-- seq) whose `refers_to` is the message's seq and whose `body` is the
-- emoji; `reactions` holds who reacted with what now. Deleting the message
-- takes its reactions with it.
CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);
