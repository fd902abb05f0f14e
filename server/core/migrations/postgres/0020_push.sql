-- Web Push (RFC 8030, with VAPID, RFC 8292): the key pair the server signs
-- its pushes with, made on first start and kept with the data (one row;
-- every server of a cluster signs with it, as browsers bind each
-- subscription to its public key), and each person's subscriptions: one
-- per browser or device that agreed to be told, its push service's
-- address and the keys its payloads are encrypted for (RFC 8291), with
-- the sign-in it was made under: signing out (or the session ending) stops
-- that device being told anything.
CREATE TABLE vapid_keys (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    private_key TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE push_subscriptions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session    TEXT   NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
    endpoint   TEXT   NOT NULL UNIQUE,
    p256dh     TEXT   NOT NULL,
    auth       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
CREATE INDEX push_subscriptions_session ON push_subscriptions (session);
