//! Read receipts: an organization's policy on them, and how far each person
//! of a channel has read it (their read cursors); and who may mention
//! everyone in a channel.

use super::dialect::sql;
use super::{Store, StoreResult};
use crate::model::{ReadPosition, ReceiptPolicy};

#[derive(Debug)]
struct PolicyRecord {
    read_receipts: i64,
    receipts_up_to: i64,
}

#[derive(Debug)]
struct PositionRecord {
    user_id: i64,
    last_read_seq: i64,
}

impl Store {
    /// An organization's policy on read receipts (`None`: no such organization).
    pub(crate) async fn receipt_policy(&self, org_id: i64) -> StoreResult<Option<ReceiptPolicy>> {
        let db = &mut self.db().await?;
        let row = sql!(
            db,
            fetch_optional,
            query_as!(PolicyRecord, "SELECT read_receipts, receipts_up_to FROM orgs WHERE id = $1", org_id)
        )?;
        Ok(row.map(|r| ReceiptPolicy { on: r.read_receipts != 0, up_to: r.receipts_up_to }))
    }

    pub(crate) async fn set_receipt_policy(&self, org_id: i64, policy: ReceiptPolicy) -> StoreResult<()> {
        let (db, on) = (&mut self.db().await?, i64::from(policy.on));
        sql!(
            db,
            execute,
            query!("UPDATE orgs SET read_receipts = $2, receipts_up_to = $3 WHERE id = $1", org_id, on, policy.up_to)
        )?;
        Ok(())
    }

    /// Whether members (not only owners and admins) may use `@channel` and
    /// `@here` in an organization.
    pub(crate) async fn members_mention_all(&self, org_id: i64) -> StoreResult<bool> {
        let db = &mut self.db().await?;
        let allowed =
            sql!(db, fetch_optional, query_scalar!("SELECT members_mention_all FROM orgs WHERE id = $1", org_id))?;
        Ok(allowed.unwrap_or(0) != 0)
    }

    pub(crate) async fn set_members_mention_all(&self, org_id: i64, allowed: bool) -> StoreResult<()> {
        let (db, allowed) = (&mut self.db().await?, i64::from(allowed));
        sql!(db, execute, query!("UPDATE orgs SET members_mention_all = $2 WHERE id = $1", org_id, allowed))?;
        Ok(())
    }

    /// How many people have joined a channel.
    pub(crate) async fn channel_size(&self, channel_id: i64) -> StoreResult<i64> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_one,
            query_scalar!(r#"SELECT COUNT(*) AS "count!: i64" FROM channel_members WHERE channel_id = $1"#, channel_id)
        )?)
    }

    /// How far each person who has joined a channel has read it, by user id.
    pub(crate) async fn read_positions(&self, channel_id: i64) -> StoreResult<Vec<ReadPosition>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                PositionRecord,
                r#"SELECT m.user_id, COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64"
                 FROM channel_members m LEFT JOIN read_cursors r ON r.channel_id = m.channel_id AND r.user_id = m.user_id
                 WHERE m.channel_id = $1 ORDER BY m.user_id"#,
                channel_id
            )
        )?;
        Ok(rows.into_iter().map(|r| ReadPosition { user_id: r.user_id, last_read_seq: r.last_read_seq }).collect())
    }
}
