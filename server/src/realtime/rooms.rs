//! The names of the rooms of an organization's namespace, and taking a
//! person's sockets out of a channel's room.

use socketioxide::SocketIo;

/// The room of a channel: every socket that joined it (and may read it).
pub(super) fn channel_room(id: i64) -> String {
    format!("channel:{id}")
}

/// Whether a room is a channel's.
pub(super) fn is_channel_room(room: &str) -> bool {
    room.starts_with("channel:")
}

/// The room holding every socket of a user.
pub(super) fn user_room(id: i64) -> String {
    format!("user:{id}")
}

/// The room holding every socket of a session (one browser's tabs, one bot).
pub(super) fn session_room(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// The namespace of an organization.
pub(super) fn namespace(org_slug: &str) -> String {
    format!("/{org_slug}")
}

/// Takes every socket of `user_id` in organization `org_slug` out of the
/// channel's room.
pub(super) fn out_of_room(io: &SocketIo, org_slug: &str, user_id: i64, channel_id: i64) {
    if let Some(ns) = io.of(namespace(org_slug)) {
        for socket in ns.to(user_room(user_id)).sockets() {
            socket.leave(channel_room(channel_id));
        }
    }
}
