-- Direct conversations are channels of kind 'direct'.
ALTER TABLE channels DROP CONSTRAINT channels_kind_check;
ALTER TABLE channels ADD CONSTRAINT channels_kind_check
    CHECK (kind IN ('public', 'private', 'supervisor', 'direct'));
