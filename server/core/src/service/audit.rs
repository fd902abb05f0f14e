//! The audit log: each use case that changes who may see what (sign-ins,
//! invites, joining and leaving, roles, removals, restricted channels)
//! records who did it, to whom, when and from where; owners and admins read
//! their organization's log.

use std::net::IpAddr;

use super::{Service, Standing, fail};
use crate::access;
use crate::error::CoreResult;
use crate::kinds::AuditAction;
use crate::model::{AuditEntry, User};
use crate::store::NewAuditEntry;

/// The most entries one page of the log holds.
const MAX_AUDIT_PAGE: usize = 200;

/// What happened, for [`Service::audit`].
pub(super) struct Audited<'a> {
    /// `None`: the actor's own (a sign-in), shown in each of their organizations.
    pub org_id: Option<i64>,
    pub action: AuditAction,
    pub subject: &'a str,
    pub detail: &'a str,
}

impl Service {
    /// Records `what` `actor` did from `from`. It has been done already: a
    /// failure to record it is logged as an error, and the use case still
    /// answers as it happened. Called in the task that made the change
    /// ([`Service::to_the_end`]), so a caller that stops waiting cannot
    /// leave the change without its entry.
    pub(super) async fn audit(&self, actor: &User, from: IpAddr, what: Audited<'_>) {
        let address = from.to_string();
        let entry = NewAuditEntry {
            org_id: what.org_id,
            actor,
            action: what.action,
            subject: what.subject,
            detail: what.detail,
            address: &address,
        };
        if let Err(e) = self.store.record_audit(entry).await {
            tracing::error!(error = %e, user_id = actor.id, action = what.action.as_str(), "audit entry not recorded");
        }
    }

    /// The caller's organization's audit log, newest first: up to `limit`
    /// entries older than entry `before` (owners and admins). Addresses are
    /// personal data: only owners see them.
    pub async fn audit_log(
        &self,
        standing: &Standing,
        before: Option<i64>,
        limit: usize,
    ) -> CoreResult<Vec<AuditEntry>> {
        access::read_audit_log(standing.role)?;
        let limit = limit.clamp(1, MAX_AUDIT_PAGE) as i64;
        let mut entries =
            self.store.audit_log(standing.org.id, before, limit).await.map_err(fail("reading the audit log"))?;
        if !access::sees_addresses(standing.role) {
            entries.iter_mut().for_each(|e| e.address = None);
        }
        Ok(entries)
    }
}
