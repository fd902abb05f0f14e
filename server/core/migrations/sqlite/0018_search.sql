-- Full-text search: every message's text (not events, not deleted ones) in
-- an FTS5 index with the trigram tokenizer, so that any three characters
-- and more are found anywhere in a word (`deploy-prod`, e-mail addresses,
-- URLs, CJK text), whatever the case. The index follows `messages` through
-- triggers, in the same transaction as each change: an edit is found by
-- its new text only, a deletion by nothing at once. Deleting uses the text
-- the row had (an external-content index must be told what it indexed).
CREATE VIRTUAL TABLE message_search USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'trigram'
);

INSERT INTO message_search (rowid, body)
    SELECT id, body FROM messages WHERE kind = 'message' AND deleted_at IS NULL;

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN new.kind = 'message' AND new.deleted_at IS NULL
BEGIN
    INSERT INTO message_search (rowid, body) VALUES (new.id, new.body);
END;

-- One trigger for a change, so that the old text is forgotten before the
-- new one is indexed (SQLite runs a table's triggers newest first: as two,
-- the 'delete' would land after the insert and drop what the two share).
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
BEGIN
    INSERT INTO message_search (message_search, rowid, body)
        SELECT 'delete', old.id, old.body WHERE old.kind = 'message' AND old.deleted_at IS NULL;
    INSERT INTO message_search (rowid, body)
        SELECT new.id, new.body WHERE new.kind = 'message' AND new.deleted_at IS NULL;
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN old.kind = 'message' AND old.deleted_at IS NULL
BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
