-- Removals stick: someone taken out of an organization cannot come back
-- with an invite link made before they were removed (a link made after
-- can: an owner or admin invited them again on purpose).
CREATE TABLE removals (
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    removed_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- Someone who was out of a private channel or a direct conversation (they
-- left it, or were taken out of the organization) does not read what was
-- said there meanwhile: its events after `from_seq` and up to `to_seq`
-- (NULL while they are still out) are not theirs to read.
CREATE TABLE channel_absences (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    from_seq   BIGINT NOT NULL,
    to_seq     BIGINT,
    PRIMARY KEY (channel_id, user_id, from_seq)
);
