-- Read receipts, by the organization's policy (its owners set it): on or
-- off (`read_receipts`, 1 or 0), and in channels of how many people at
-- most (`receipts_up_to`); direct conversations follow `read_receipts`,
-- supervisor channels always show them. They come from the read cursors.
ALTER TABLE orgs ADD COLUMN read_receipts BIGINT NOT NULL DEFAULT 1;
ALTER TABLE orgs ADD COLUMN receipts_up_to BIGINT NOT NULL DEFAULT 12;
