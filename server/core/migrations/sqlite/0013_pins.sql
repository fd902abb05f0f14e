-- Pins: anyone who may post in a channel pins a message there, or unpins it.
-- Each is an event of the channel's stream (kind 'pinned' or 'unpinned',
-- under the channel's next seq) whose `refers_to` is the message's seq;
-- `pinned_at` says it is pinned now (and since when), `pinned_by` by whom.
-- Deleting the message unpins it.
ALTER TABLE messages ADD COLUMN pinned_at BIGINT;
ALTER TABLE messages ADD COLUMN pinned_by BIGINT REFERENCES users (id);
