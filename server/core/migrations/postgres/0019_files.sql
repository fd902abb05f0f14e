-- Files: uploaded to a channel its uploader may post in, then attached to
-- the message that names them, in that message's transaction. Until then
-- only the uploader may fetch one; unattached uploads expire.
--
-- A file's bytes are stored once per content (`blobs`, named by their
-- SHA-256, never by a name the uploader chose), however many files share
-- them. Removing a file (its message deleted, its upload expired, or
-- anything that removes its channel) marks its blobs `unused`; a sweep
-- then claims each unused blob nothing refers to (`deleting`: its own
-- random claim, `deleting_at`: when), deletes its bytes and then the row
-- it claimed. An upload of the same content waits while a blob is being
-- deleted, so bytes are never deleted under a new file; a claim left by a
-- sweep that stopped is taken over after a while.
CREATE TABLE blobs (
    sha256      TEXT   PRIMARY KEY,
    size        BIGINT NOT NULL,
    unused      BIGINT NOT NULL DEFAULT 0,
    deleting    BIGINT NOT NULL DEFAULT 0,
    deleting_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    channel_id   BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    uploader_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id   BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    -- What it is served as: a picture's own type (told by its bytes), or
    -- 'application/octet-stream' for anything else, always as a download.
    served_type  TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT   NOT NULL REFERENCES blobs (sha256),
    -- A picture's size in pixels, and its thumbnail's blob, if it has one.
    width        BIGINT,
    height       BIGINT,
    thumb_sha256 TEXT   REFERENCES blobs (sha256),
    thumb_type   TEXT,
    created_at   BIGINT NOT NULL
);

CREATE INDEX files_message ON files (message_id);
CREATE INDEX files_unattached ON files (created_at) WHERE message_id IS NULL;
CREATE INDEX files_org ON files (org_id);
CREATE INDEX files_blob ON files (sha256);
CREATE INDEX files_thumb ON files (thumb_sha256);

CREATE FUNCTION files_unused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE blobs SET unused = 1 WHERE sha256 = OLD.sha256 OR sha256 = OLD.thumb_sha256;
    RETURN NULL;
END
$$;

CREATE TRIGGER files_unused AFTER DELETE ON files FOR EACH ROW EXECUTE FUNCTION files_unused();
