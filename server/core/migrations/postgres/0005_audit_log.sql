-- Who did what, when and from where, kept for each organization's owners
-- and admins. A sign-in belongs to no organization (org_id NULL): each
-- organization's log shows those of its members. Names are copied as they
-- were, so an entry reads the same after the person is gone.
CREATE TABLE audit_events (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id   BIGINT REFERENCES orgs (id) ON DELETE CASCADE,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor    TEXT   NOT NULL,
    action   TEXT   NOT NULL,
    subject  TEXT   NOT NULL DEFAULT '',
    detail   TEXT   NOT NULL DEFAULT '',
    address  TEXT   NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX audit_events_by_org ON audit_events (org_id, id);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, id);
