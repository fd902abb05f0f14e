-- Full-text search: a trigram index (pg_trgm, shipped with PostgreSQL's
-- contrib modules and trusted, so the database's owner may add it) over
-- every message's text (not events, not deleted ones), which `ILIKE
-- '%…%'` uses for any three characters and more anywhere in a word
-- (`deploy-prod`, e-mail addresses, URLs, CJK text), whatever the case.
-- PostgreSQL's own full-text search (tsvector) finds whole words only, so
-- it cannot find `ploy-pro` or part of a CJK sentence. The index follows
-- each change in its transaction: an edit is found by its new text only,
-- a deletion by nothing at once.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX messages_search ON messages USING gin (body gin_trgm_ops)
    WHERE kind = 'message' AND deleted_at IS NULL;
