//! Web Push: the server's VAPID key (made once, for every server of a
//! cluster), each person's push subscriptions, and who follows a thread
//! (they are told of its replies).

use super::dialect::sql;
use super::{Store, StoreResult, now_ms};

/// Where to push to one of someone's devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubscriptionRow {
    pub(crate) id: i64,
    pub(crate) endpoint: String,
    pub(crate) p256dh: String,
    pub(crate) auth: String,
}

impl Store {
    /// The server's VAPID private key: the one kept, or else `made`, kept
    /// from now on (whichever server of a cluster made it first wins).
    pub(crate) async fn vapid_key(&self, made: &str) -> StoreResult<String> {
        let db = &mut self.db().await?;
        let now = now_ms();
        sql!(
            &mut *db,
            execute,
            query!(
                "INSERT INTO vapid_keys (id, private_key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
                made,
                now
            )
        )?;
        Ok(sql!(&mut *db, fetch_one, query_scalar!("SELECT private_key FROM vapid_keys WHERE id = 1"))?)
    }

    /// Keeps a subscription of `user_id`'s, made under the session
    /// `session` (a token's hash): one kept for the same push address is
    /// theirs from now on (the browser was signed in again). Each person
    /// keeps their newest `most` subscriptions.
    pub(crate) async fn add_subscription(
        &self,
        (user_id, session): (i64, &str),
        (endpoint, p256dh, auth): (&str, &str, &str),
        most: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        sql!(
            &mut tx,
            execute,
            query!(
                "INSERT INTO push_subscriptions (user_id, session, endpoint, p256dh, auth, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (endpoint) DO UPDATE SET user_id = $1, session = $2, p256dh = $4, auth = $5, created_at = $6",
                user_id,
                session,
                endpoint,
                p256dh,
                auth,
                now
            )
        )?;
        sql!(
            &mut tx,
            execute,
            query!(
                "DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN
                 (SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY id DESC LIMIT $2)",
                user_id,
                most
            )
        )?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets `user_id`'s subscription at `endpoint`; whether there was one.
    pub(crate) async fn remove_subscription(&self, user_id: i64, endpoint: &str) -> StoreResult<bool> {
        let db = &mut self.db().await?;
        let removed = sql!(
            db,
            execute,
            query!("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2", user_id, endpoint)
        )?;
        Ok(removed > 0)
    }

    /// Whether `user_id`'s subscription at `endpoint` is kept.
    pub(crate) async fn has_subscription(&self, user_id: i64, endpoint: &str) -> StoreResult<bool> {
        let db = &mut self.db().await?;
        let found = sql!(
            db,
            fetch_optional,
            query_scalar!(
                r#"SELECT id AS "id!" FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2"#,
                user_id,
                endpoint
            )
        )?;
        Ok(found.is_some())
    }

    /// Forgets subscription `id` (its push service says it is gone).
    pub(crate) async fn forget_subscription(&self, id: i64) -> StoreResult<()> {
        let db = &mut self.db().await?;
        sql!(db, execute, query!("DELETE FROM push_subscriptions WHERE id = $1", id))?;
        Ok(())
    }

    /// Who follows the thread of message `root_seq` of a channel.
    pub(crate) async fn thread_followers(&self, channel_id: i64, root_seq: i64) -> StoreResult<Vec<i64>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_all,
            query_scalar!(
                "SELECT user_id FROM thread_follows WHERE channel_id = $1 AND root_seq = $2 AND following = 1",
                channel_id,
                root_seq
            )
        )?)
    }

    /// Every device `user_id` is pushed to.
    pub(crate) async fn subscriptions_of(&self, user_id: i64) -> StoreResult<Vec<SubscriptionRow>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_all,
            query_as!(
                SubscriptionRow,
                r#"SELECT id AS "id!", endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY id"#,
                user_id
            )
        )?)
    }
}
