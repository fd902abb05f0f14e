//! Invite links: owners and admins make and revoke them, and whoever holds
//! one joins the organization it leads to (and its default channel).

use std::net::IpAddr;

use super::audit::Audited;
use super::{Service, Standing, fail, server_event_id};
use crate::access;
use crate::auth;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{AuditAction, Role};
use crate::model::{InviteLink, InviteLinks, InviteTarget, Membership, NewInvite, Org, User};
use crate::store::DEFAULT_CHANNEL;

/// Invite link lifetime: 7 days.
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

fn not_valid() -> CoreError {
    CoreError::not_found("This invite link is not valid or has expired. Ask for a new one.")
}

impl Service {
    /// A new invite link (owners and admins).
    pub async fn create_invite(&self, standing: &Standing, from: IpAddr) -> CoreResult<NewInvite> {
        access::invite(standing.role)?;
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("creating an invite", async move {
            let (user, org) = (&standing.user, &standing.org);
            let token = auth::new_token();
            let expires_at = this
                .store
                .create_invite(&auth::token_hash(&token), org.id, user.id, INVITE_TTL_MS)
                .await
                .map_err(fail("creating invite"))?;
            tracing::info!(user_id = user.id, org = %org.slug, "invite created");
            let what = Audited { org_id: Some(org.id), action: AuditAction::InviteCreated, subject: "", detail: "" };
            this.audit(user, from, what).await;
            Ok(NewInvite { token, expires_at })
        })
        .await
    }

    /// The working invite links (owners and admins); `made` is a token the
    /// caller just made, to show again if it checks out.
    pub async fn list_invites(&self, standing: &Standing, made: Option<&str>) -> CoreResult<InviteLinks> {
        access::invite(standing.role)?;
        let rows = self.store.invites_of(standing.org.id).await.map_err(fail("listing invites"))?;
        let made_hash = made.filter(|t| t.len() <= 128).map(auth::token_hash);
        let new_link = made.zip(made_hash).and_then(|(token, hash)| {
            let row = rows.iter().find(|r| r.token_hash == hash && r.created_by_id == standing.user.id)?;
            Some(NewInvite { token: token.to_owned(), expires_at: row.expires_at })
        });
        let links = rows
            .into_iter()
            .map(|r| InviteLink {
                id: r.token_hash,
                created_by: r.created_by,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
            .collect();
        Ok(InviteLinks { links, new_link })
    }

    /// Stops an invite link from working (owners and admins).
    pub async fn revoke_invite(&self, standing: &Standing, id: &str, from: IpAddr) -> CoreResult<()> {
        access::invite(standing.role)?;
        let (this, standing, id) = (self.clone(), standing.clone(), id.to_owned());
        self.to_the_end("revoking an invite", async move {
            let (user, org) = (&standing.user, &standing.org);
            if !this.store.delete_invite(org.id, &id).await.map_err(fail("revoking invite"))? {
                return Err(CoreError::not_found("That invite link does not exist or no longer works."));
            }
            tracing::info!(user_id = user.id, org = %org.slug, "invite revoked");
            let what = Audited { org_id: Some(org.id), action: AuditAction::InviteRevoked, subject: "", detail: "" };
            this.audit(user, from, what).await;
            Ok(())
        })
        .await
    }

    /// Where an invite link leads.
    pub async fn invite_preview(&self, user: &User, token: &str) -> CoreResult<InviteTarget> {
        let invite = self.store.invite(&auth::token_hash(token)).await.map_err(fail("looking up invite"))?;
        let invite = invite.ok_or_else(not_valid)?;
        let role = self.store.role_in(invite.org_id, user.id).await.map_err(fail("looking up membership"))?;
        Ok(InviteTarget {
            org_name: invite.org_name,
            org_slug: invite.org_slug,
            invited_by: invite.invited_by,
            already_member: role.is_some(),
        })
    }

    /// Joins the organization an invite link leads to.
    pub async fn accept_invite(&self, user: &User, token: &str, from: IpAddr) -> CoreResult<Membership> {
        let invite = self.store.invite(&auth::token_hash(token)).await.map_err(fail("looking up invite"))?;
        let invite = invite.ok_or_else(not_valid)?;
        let general = self
            .store
            .channel_by_name(invite.org_id, DEFAULT_CHANNEL, user.id)
            .await
            .map_err(fail("looking up the default channel"))?
            .ok_or_else(|| {
                tracing::error!(org = %invite.org_slug, "organization without its default channel");
                CoreError::Internal
            })?;
        let (this, user) = (self.clone(), user.clone());
        self.to_the_end("accepting an invite", async move {
            let (store, org_id, newcomer) = (this.store.clone(), invite.org_id, user.clone());
            let invited_at = invite.created_at;
            let joined = this
                .write_event(&invite.org_slug, general.id, "adding member", async move {
                    store.add_member(org_id, &newcomer, Role::Member, general.id, server_event_id(), invited_at).await
                })
                .await?;
            let role = this.store.role_in(org_id, user.id).await.map_err(fail("looking up membership"))?;
            let Some(role) = role else {
                // Removed after this link was made: a removal sticks.
                tracing::info!(user_id = user.id, org = %invite.org_slug, "invite refused: removed since it was made");
                return Err(CoreError::forbidden(
                    "You were removed from this organization after this link was made; ask its owners or admins for a new one.",
                ));
            };
            if joined.is_some() {
                tracing::info!(user_id = user.id, org = %invite.org_slug, "joined organization by invite");
                let by = format!("invited by {}", invite.invited_by);
                let what = Audited { org_id: Some(org_id), action: AuditAction::JoinedOrg, subject: "", detail: &by };
                this.audit(&user, from, what).await;
            }
            Ok(Membership { org: Org { id: org_id, slug: invite.org_slug, name: invite.org_name }, role })
        })
        .await
    }
}
