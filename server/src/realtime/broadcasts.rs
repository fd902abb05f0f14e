//! What reaches every socket of a person, apart from any channel's stream:
//! ended access closing the sockets that relied on it (a sign-out, an
//! expiry, a removal, a change of role), and notices for all of a person's
//! devices (a channel read on one of them, a channel that appeared).

use app::protocol::{Channel, events};
use confab_core::Service;
use confab_core::service::{Audience, Revoked, UserNotice};
use socketioxide::SocketIo;
use tokio::sync::broadcast;

use super::rooms::{namespace, session_room, user_room};

/// Closes the live connections that relied on access that has ended: a
/// session's in every organization of its user (they see a disconnect, then
/// "Please sign in first." when they try again), or a removed member's or
/// one whose role changed in that organization. Runs until the server stops.
pub(super) async fn close_revoked(io: SocketIo, service: Service, mut revoked: broadcast::Receiver<Revoked>) {
    loop {
        match revoked.recv().await {
            Ok(Revoked::Session { user_id, token_hash }) => {
                let orgs = match service.list_orgs(user_id).await {
                    Ok(orgs) => orgs,
                    Err(e) => {
                        tracing::warn!(user_id, error = %e, "cannot list organizations to close a session's sockets");
                        continue;
                    }
                };
                for membership in orgs {
                    disconnect_room(&io, &membership.org.slug, session_room(&token_hash)).await;
                }
                tracing::info!(user_id, "closed the live connections of an ended session");
            }
            Ok(Revoked::Membership { user_id, org_slug }) => {
                disconnect_room(&io, &org_slug, user_room(user_id)).await;
                tracing::info!(user_id, org = %org_slug, "closed the live connections of a removed member");
            }
            Ok(Revoked::Role { user_id, org_slug }) => {
                // They reconnect with what the new role may see.
                disconnect_room(&io, &org_slug, user_room(user_id)).await;
                tracing::info!(user_id, org = %org_slug, "closed the live connections of a member whose role changed");
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                // Their next event finds the access gone and closes them.
                tracing::warn!(missed, "fell behind on ended access; those sockets close at their next event");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Tells every socket of a person in an organization what all their devices
/// should hear. Runs until the server stops.
pub(super) async fn forward_notices(io: SocketIo, mut notices: broadcast::Receiver<UserNotice>) {
    loop {
        match notices.recv().await {
            Ok(UserNotice::Read { user_id, org_slug, channel_id, last_read_seq }) => {
                let Some(ns) = io.of(namespace(&org_slug)) else { continue };
                let cursor = events::ReadCursor { channel_id, last_read_seq };
                // A device whose queue is full misses it and is put right on reload.
                if let Err(e) = ns.to(user_room(user_id)).emit(events::READ, &cursor).await {
                    tracing::debug!(user_id, error = %e, "read cursor not sent to every device");
                }
            }
            Ok(UserNotice::ChannelAdded { to, org_slug, channel }) => {
                let Some(ns) = io.of(namespace(&org_slug)) else { continue };
                let (channel_id, channel) = (channel.id, Channel::from(channel));
                let sent = match to {
                    Audience::People(ids) => {
                        ns.to(ids.into_iter().map(user_room).collect::<Vec<_>>())
                            .emit(events::CHANNEL_ADDED, &channel)
                            .await
                    }
                    Audience::AllBut(id) => ns.except(user_room(id)).emit(events::CHANNEL_ADDED, &channel).await,
                };
                // A device whose queue is full misses it and sees it on reload.
                if let Err(e) = sent {
                    tracing::debug!(channel_id, error = %e, "new channel not announced to every device");
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "fell behind on user notices; devices catch up on reload");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn disconnect_room(io: &SocketIo, org_slug: &str, room: String) {
    let Some(ns) = io.of(namespace(org_slug)) else { return };
    if let Err(e) = ns.to(room).disconnect().await {
        tracing::warn!(org = %org_slug, error = %e, "closing sockets failed");
    }
}
