//! Read cursors: per person and channel, the newest `seq` they have read.

use super::StoreResult;
use super::dialect::{Tx, sql};

/// Moves a person's read cursor in a channel forward to `seq` (never back,
/// never past the channel's newest event, never below 0); where it is now.
/// (Their notice of it is written with it: `Store::mark_read`.)
pub(super) async fn move_cursor(tx: &mut Tx, user_id: i64, channel_id: i64, seq: i64) -> StoreResult<i64> {
    Ok(sql!(
        tx,
        fetch_one,
        query_scalar!(
            r#"INSERT INTO read_cursors (user_id, channel_id, last_read_seq)
           SELECT $1, $2, CASE WHEN CAST($3 AS BIGINT) < 0 THEN 0
                               WHEN CAST($3 AS BIGINT) > c.last_seq THEN c.last_seq
                               ELSE CAST($3 AS BIGINT) END
           FROM channels c WHERE c.id = $2
           ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_seq =
               CASE WHEN excluded.last_read_seq > read_cursors.last_read_seq THEN excluded.last_read_seq
                    ELSE read_cursors.last_read_seq END
           RETURNING last_read_seq AS "last_read_seq!""#,
            user_id,
            channel_id,
            seq
        )
    )?)
}

/// Puts a person's read cursor in a channel at `seq`, wherever it was.
pub(super) async fn set_cursor(tx: &mut Tx, user_id: i64, channel_id: i64, seq: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO read_cursors (user_id, channel_id, last_read_seq) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_seq = excluded.last_read_seq",
            user_id,
            channel_id,
            seq
        )
    )?;
    Ok(())
}
