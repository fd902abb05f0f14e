-- Personal API tokens are sessions with a name (browser sign-ins have none)
-- that do not expire until revoked: every rule, limit and revocation of a
-- session holds for them as it is.
ALTER TABLE sessions ADD COLUMN name TEXT;
