//! The audit log: who did what in an organization, when and from where.

use super::records::AuditRecord;
use super::{Store, StoreError, StoreResult, now_ms, on_db};
use crate::kinds::AuditAction;
use crate::model::{AuditEntry, User};

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    /// `None`: the actor's own (a sign-in), shown in each of their organizations.
    pub org_id: Option<i64>,
    pub actor: &'a User,
    pub action: AuditAction,
    pub subject: &'a str,
    pub detail: &'a str,
    pub address: &'a str,
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
        address: r.address,
    })
}

impl Store {
    /// Appends an entry, stamped now.
    pub async fn record_audit(&self, e: NewAuditEntry<'_>) -> StoreResult<()> {
        let (actor, action) = (e.actor, e.action.as_str());
        Ok(on_db!(
            self,
            record_audit(e.org_id, actor.id, &actor.username, action, e.subject, e.detail, e.address, now_ms())
        )?)
    }

    /// Up to `limit` entries of organization `org_id` older than entry
    /// `before_id` (the newest when `None`), newest first.
    pub async fn audit_log(&self, org_id: i64, before_id: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        on_db!(self, audit_log(org_id, before_id.unwrap_or(i64::MAX), limit))?.into_iter().map(entry).collect()
    }
}
