-- Each member's own stream of notices, numbered like a channel's events:
-- what all of a person's devices should hear (a channel read on one of
-- them, a channel that appeared for them). `last_notice_seq` is taken in
-- the transaction that writes the notice, so a device that was away asks
-- for what came after the last one it heard, and hears each once, in order.
ALTER TABLE memberships ADD COLUMN last_notice_seq BIGINT NOT NULL DEFAULT 0;

-- `kind` says what happened: 'read' (`channel_id` read up to `value`) or
-- 'channel_added' (`channel_id` appeared; shown as the person sees it when
-- read). The newest few hundred of each member are kept.
CREATE TABLE notices (
    org_id     BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    value      BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, seq),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
