//! What reaches every socket of a person, apart from any channel's stream,
//! whichever server it happened on: ended access closing the sockets that
//! relied on it (a sign-out, an expiry, a removal, a change of role),
//! notices for all of a person's devices (a channel read on one of them, a
//! channel that appeared), read cursors moving where a channel shows read
//! receipts, and, from other servers, someone typing.

use std::sync::Arc;

use app::protocol::events;
use confab_core::Service;
use confab_core::service::{ReadMoved, Revoked, UserNotice};
use socketioxide::SocketIo;
use tokio::sync::{broadcast, mpsc};

use super::notices::NoticeRelay;
use super::presence::Presence;
use super::rooms::{channel_room, namespace, session_room, user_room};
use crate::cluster::{ForPeople, Lost};

/// What this server's service announces for people's sockets, heard from
/// the moment it is made.
pub(super) struct Announced {
    revoked: broadcast::Receiver<Revoked>,
    notices: broadcast::Receiver<UserNotice>,
    read_moves: broadcast::Receiver<ReadMoved>,
}

impl Announced {
    pub(super) fn by(service: &Service) -> Self {
        Announced { revoked: service.revocations(), notices: service.user_notices(), read_moves: service.read_moves() }
    }
}

/// Carries out what concerns people's sockets, from this server and (with
/// `remote`) the others: closing the live connections that relied on access
/// that has ended, and telling every device of a person what all of them
/// should hear (`lost`: word that some of it from the others may have
/// been lost). Runs until the server stops.
pub(super) async fn for_people(
    io: SocketIo,
    service: Service,
    presence: Presence,
    announced: Announced,
    relay: NoticeRelay,
    remote: Option<(mpsc::Receiver<ForPeople>, Arc<Lost>)>,
) {
    let Announced { mut revoked, mut notices, mut read_moves } = announced;
    let (mut remote, lost) = remote.unzip();
    loop {
        let next = tokio::select! {
            r = revoked.recv() => match r {
                Ok(r) => ForPeople::Revoked(r),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    // Their next event finds the access gone and closes them.
                    tracing::warn!(missed, "fell behind on ended access; those sockets close at their next event");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            n = notices.recv() => match n {
                Ok(n) => ForPeople::notice(n),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "fell behind on notices; reading them from the database");
                    relay.catch_up(&io, &service).await;
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            r = read_moves.recv() => match r {
                Ok(moved) => ForPeople::read_by(moved),
                // A receipt missed shows when the positions are read again.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            Some(it) = next_remote(&mut remote) => it,
            () = lost_word(&lost) => {
                relay.catch_up(&io, &service).await;
                continue;
            }
        };
        carry_out(&io, &service, &presence, &relay, next).await;
    }
}

async fn next_remote(remote: &mut Option<mpsc::Receiver<ForPeople>>) -> Option<ForPeople> {
    match remote {
        Some(remote) => remote.recv().await,
        None => std::future::pending().await,
    }
}

async fn lost_word(lost: &Option<Arc<Lost>>) {
    match lost {
        Some(lost) => lost.notices.notified().await,
        None => std::future::pending().await,
    }
}

async fn carry_out(io: &SocketIo, service: &Service, presence: &Presence, relay: &NoticeRelay, it: ForPeople) {
    match it {
        // A session's sockets close in every organization of its user (they
        // see a disconnect, then "Please sign in first." when they try again).
        ForPeople::Revoked(Revoked::Session { user_id, token_hash }) => {
            let orgs = match service.list_orgs(user_id).await {
                Ok(orgs) => orgs,
                Err(e) => {
                    tracing::warn!(user_id, error = %e, "cannot list organizations to close a session's sockets");
                    return;
                }
            };
            for membership in orgs {
                disconnect_room(io, &membership.org.slug, session_room(&token_hash)).await;
            }
            tracing::info!(user_id, "closed the live connections of an ended session");
        }
        ForPeople::Revoked(Revoked::Membership { user_id, org_slug }) => {
            disconnect_room(io, &org_slug, user_room(user_id)).await;
            relay.forget(&org_slug, user_id);
            tracing::info!(user_id, org = %org_slug, "closed the live connections of a removed member");
        }
        ForPeople::Revoked(Revoked::Role { user_id, org_slug }) => {
            // They reconnect with what the new role may see.
            disconnect_room(io, &org_slug, user_room(user_id)).await;
            tracing::info!(user_id, org = %org_slug, "closed the live connections of a member whose role changed");
        }
        ForPeople::Notice { org_slug, to, news } => relay.pass_on(io, service, &org_slug, &to, &news).await,
        ForPeople::Presence { node, org_slug, user_id, online } => {
            presence.server_says(node, &org_slug, user_id, online)
        }
        ForPeople::PresenceAll { node, online } => presence.server_has(node, online),
        // From another server: nobody here is the typist.
        ForPeople::Typing { org_slug, typing } => {
            let Some(ns) = io.of(namespace(&org_slug)) else { return };
            if let Err(e) = ns.to(channel_room(typing.channel_id)).volatile().emit(events::TYPING, &typing).await {
                tracing::debug!(error = %e, "typing not sent to everyone");
            }
        }
        ForPeople::ReadBy { org_slug, read_by } => {
            let Some(ns) = io.of(namespace(&org_slug)) else { return };
            if let Err(e) = ns.to(channel_room(read_by.channel_id)).emit(events::READ_BY, &read_by).await {
                tracing::debug!(error = %e, "a read receipt was not sent to everyone");
            }
        }
    }
}

async fn disconnect_room(io: &SocketIo, org_slug: &str, room: String) {
    let Some(ns) = io.of(namespace(org_slug)) else { return };
    if let Err(e) = ns.to(room).disconnect().await {
        tracing::warn!(org = %org_slug, error = %e, "closing sockets failed");
    }
}
