//! The audit log: who did what in an organization, when and from where.

use super::dialect::sql;
use super::records::AuditRecord;
use super::{Store, StoreError, StoreResult, now_ms};
use crate::kinds::AuditAction;
use crate::model::{AuditEntry, User};

/// An entry to append.
#[derive(Clone, Debug)]
pub(crate) struct NewAuditEntry<'a> {
    /// `None`: the actor's own (a sign-in), shown in each of their organizations.
    pub(crate) org_id: Option<i64>,
    pub(crate) actor: &'a User,
    pub(crate) action: AuditAction,
    pub(crate) subject: &'a str,
    pub(crate) detail: &'a str,
    pub(crate) address: &'a str,
}

fn entry(r: AuditRecord) -> StoreResult<AuditEntry> {
    let action = AuditAction::parse(&r.action)
        .ok_or_else(|| StoreError::Unknown(format!("audit action {:?} of entry {}", r.action, r.id)))?;
    Ok(AuditEntry {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action,
        subject: r.subject,
        detail: r.detail,
        address: Some(r.address),
    })
}

impl Store {
    /// Appends an entry, stamped now.
    pub(crate) async fn record_audit(&self, e: NewAuditEntry<'_>) -> StoreResult<()> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let (actor, action) = (e.actor, e.action.as_str());
        sql!(
            db,
            execute,
            query!(
                "INSERT INTO audit_events (org_id, actor_id, actor, action, subject, detail, address, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                e.org_id,
                actor.id,
                actor.username,
                action,
                e.subject,
                e.detail,
                e.address,
                now
            )
        )?;
        Ok(())
    }

    /// Up to `limit` entries of organization `org_id` older than entry
    /// `before_id` (the newest when `None`), newest first: its own entries
    /// and the sign-ins of its members since they joined it.
    pub(crate) async fn audit_log(
        &self,
        org_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let (db, before_id) = (&mut self.db().await?, before_id.unwrap_or(i64::MAX));
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                AuditRecord,
                r#"SELECT id AS "id!", at, actor, action, subject, detail, address FROM audit_events
               WHERE (org_id = $1 OR (org_id IS NULL AND EXISTS (SELECT 1 FROM memberships m
                        WHERE m.org_id = $1 AND m.user_id = audit_events.actor_id AND m.joined_at <= audit_events.at)))
                 AND id < $2
               ORDER BY id DESC LIMIT $3"#,
                org_id,
                before_id,
                limit
            )
        )?;
        rows.into_iter().map(entry).collect()
    }
}
