//! Organizations: list, create, view, invite, accept an invite, roles, leave.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::{AuditEntry, Invite, InviteList, InvitePreview, Member, OrgStorage, OrgSummary, OrgView};

/// The organizations the signed-in user belongs to.
#[server(prefix = "/api", endpoint = "list_orgs")]
pub async fn list_orgs() -> Result<Vec<OrgSummary>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            Ok(ctx.core.list_orgs(user.id).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// Creates an organization owned by the signed-in user and opens it.
#[server(prefix = "/api", endpoint = "create_org")]
pub async fn create_org(name: String, slug: String) -> Result<OrgSummary, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            let org = OrgSummary::from(ctx.core.create_org(&user, &name, &slug).await?);
            leptos_axum::redirect(&format!("/o/{}", org.slug));
            Ok(org)
        }
        .await,
    )
}

/// An organization with the channels the signed-in user can see.
#[server(prefix = "/api", endpoint = "org")]
pub async fn org(slug: String) -> Result<OrgView, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            Ok(ctx.core.org_view(&standing).await?.into())
        }
        .await,
    )
}

/// How many bytes of files the organization keeps, and how large one file
/// may be (owners).
#[server(prefix = "/api", endpoint = "file_storage")]
pub async fn file_storage(slug: String) -> Result<OrgStorage, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let used_bytes = ctx.core.storage_used(&standing).await?;
            Ok(OrgStorage { used_bytes, max_upload_bytes: ctx.core.max_upload_bytes() })
        }
        .await,
    )
}

/// Everyone in the organization, by name, with their role.
#[server(prefix = "/api", endpoint = "members")]
pub async fn members(slug: String) -> Result<Vec<Member>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            Ok(ctx.core.members(&standing).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// Makes an invite link to the organization (owners and admins), and goes
/// back to the organization's page, which shows it (so a plain form post,
/// before the wasm has loaded, shows it too).
#[server(prefix = "/api", endpoint = "create_invite")]
pub async fn create_invite(slug: String) -> Result<Invite, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let new = ctx.core.create_invite(&standing, super::request::client_ip()).await?;
            let invite = super::wire::invite(new, &super::request::site_origin(&ctx));
            leptos_axum::redirect(&format!("/o/{slug}?invite={}", invite.token));
            Ok(invite)
        }
        .await,
    )
}

/// The organization's working invite links (owners and admins); `made`: a
/// token just made, shown again as a link if it is one of them and yours.
#[server(prefix = "/api", endpoint = "list_invites")]
pub async fn list_invites(slug: String, made: Option<String>) -> Result<InviteList, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let links = ctx.core.list_invites(&standing, made.as_deref()).await?;
            Ok(super::wire::invite_list(links, &super::request::site_origin(&ctx)))
        }
        .await,
    )
}

/// Stops an invite link from working (owners and admins).
#[server(prefix = "/api", endpoint = "revoke_invite")]
pub async fn revoke_invite(slug: String, id: String) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            ctx.core.revoke_invite(&standing, &id, super::request::client_ip()).await?;
            leptos_axum::redirect(&format!("/o/{slug}"));
            Ok(())
        }
        .await,
    )
}

/// What an invite link leads to, for the signed-in user.
#[server(prefix = "/api", endpoint = "invite")]
pub async fn get_invite(token: String) -> Result<InvitePreview, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            Ok(ctx.core.invite_preview(&user, &token).await?.into())
        }
        .await,
    )
}

/// Joins the organization an invite link leads to, and opens it.
#[server(prefix = "/api", endpoint = "accept_invite")]
pub async fn accept_invite(token: String) -> Result<OrgSummary, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            let org = OrgSummary::from(ctx.core.accept_invite(&user, &token, super::request::client_ip()).await?);
            leptos_axum::redirect(&format!("/o/{}", org.slug));
            Ok(org)
        }
        .await,
    )
}

/// Takes a person out of the organization (owners and admins; an admin
/// cannot remove an owner, and the last owner stays). Their live connections
/// to it close at once.
#[server(prefix = "/api", endpoint = "remove_member")]
pub async fn remove_member(slug: String, username: String) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            Ok(ctx.core.remove_member(&standing, &username, super::request::client_ip()).await?)
        }
        .await,
    )
}

/// Gives a member another role (owners and admins: an admin neither makes
/// nor changes owners, and the last owner stays one). Their live
/// connections to the organization reconnect with what they may now see.
#[server(prefix = "/api", endpoint = "set_role")]
pub async fn set_role(slug: String, username: String, role: String) -> Result<Member, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let role = confab_core::rules::role(&role)?;
            Ok(ctx.core.set_role(&standing, &username, role, super::request::client_ip()).await?.into())
        }
        .await,
    )
}

/// Takes the signed-in user out of the organization (not its last owner)
/// and goes to the home page.
#[server(prefix = "/api", endpoint = "leave_org")]
pub async fn leave_org(slug: String) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            ctx.core.leave_org(&standing, super::request::client_ip()).await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// The organization's audit log, newest first (owners and admins): up to
/// `limit` entries (default 50, at most 200) older than entry `before`.
#[server(prefix = "/api", endpoint = "audit_log")]
pub async fn audit_log(slug: String, before: Option<i64>, limit: Option<usize>) -> Result<Vec<AuditEntry>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let entries = ctx.core.audit_log(&standing, before, limit.unwrap_or(50)).await?;
            Ok(entries.into_iter().map(Into::into).collect())
        }
        .await,
    )
}
