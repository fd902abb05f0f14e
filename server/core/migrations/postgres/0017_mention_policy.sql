-- Whether members (not only owners and admins) may mention everyone in a
-- channel with @channel and @here (1), or not (0, the default); the
-- organization's owners set it.
ALTER TABLE orgs ADD COLUMN members_mention_all BIGINT NOT NULL DEFAULT 0;
