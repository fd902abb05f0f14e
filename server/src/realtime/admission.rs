//! Who may connect to an organization's namespace, and a socket's set-up:
//! the Origin of a browser's page, a session (its cookie, or an API token
//! sent as `auth: { token }`), membership of the organization, and how many
//! sockets the user holds. An admitted socket is in its user's and its
//! session's rooms, with its handlers registered, before the client hears
//! it is connected.

use std::sync::Arc;

use app::api::{cookie_value, session_cookie_name};
use app::errors::ApiError;
use app::protocol::events::{self, ConnectAuth};
use confab_core::service::Seat;
use confab_core::{CoreError, auth};
use socketioxide::SocketIo;
use socketioxide::extract::{Extension, MaybeExtension, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::DisconnectReason;

use super::Realtime;
use super::connection::Connection;
use super::rooms::{session_room, user_room};
use super::send_order::SendQueue;
use super::{joining, requests, thread_requests};
use crate::cluster::CountedSocket;
use crate::site::Site;

/// Every event a client may send: the handlers registered (`set_up`
/// registers these and no others), and the list the isolation suite tries
/// each of, so a new event cannot be left out of it.
pub const CLIENT_EVENTS: [&str; 12] = [
    events::JOIN,
    events::LEAVE,
    events::SEND,
    events::EDIT,
    events::REACT,
    events::PIN,
    events::READ,
    events::READ_THREAD,
    events::FOLLOW_THREAD,
    events::NOTICES,
    events::TYPING,
    events::OPEN_DIRECT,
];

/// Why a connection to a namespace was refused; its text is the `message` of
/// the `connect_error` the client receives (a sentence, like an
/// [`ApiError`]'s).
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("This page's origin may not connect to this server.")]
    Origin,
    #[error("Please sign in first.")]
    SignedOut,
    #[error("You have too many live connections open (at most {0}); close some tabs or apps and try again.")]
    TooManySockets(usize),
    #[error("{0}")]
    Api(#[from] ApiError),
}

impl From<CoreError> for Refusal {
    fn from(e: CoreError) -> Self {
        Refusal::Api(e.into())
    }
}

/// Serves every organization's namespace (`/<slug>`), behind admission.
pub(super) fn serve_namespaces(io: &SocketIo) {
    io.dyn_ns("/{org}", on_connect.with(admit)).expect("the namespace pattern is valid");
}

/// Namespace middleware: Origin, session, membership; then it sets the socket
/// up. That happens here and not in the connect handler because socketioxide
/// sends the CONNECT packet first and runs the connect handler later, in a
/// task of its own: handlers registered there would miss a client's first emit.
async fn admit(
    socket: SocketRef,
    io: SocketIo,
    State(rt): State<Realtime>,
    TryData(auth): TryData<ConnectAuth>,
) -> Result<(), Refusal> {
    let api_token = auth.ok().and_then(|a| a.token);
    match check(&socket, &rt, api_token).await {
        Ok(connection) => {
            set_up(&socket, connection);
            Ok(())
        }
        Err(refusal) => {
            // socketioxide keeps a dynamic namespace once anyone asked for it;
            // drop the ones that name no organization, so strangers cannot fill
            // memory with made-up namespaces.
            let slug = socket.ns().trim_start_matches('/');
            if matches!(rt.service.org_exists(slug).await, Ok(false)) {
                io.delete_ns(socket.ns());
            }
            Err(refusal)
        }
    }
}

async fn check(socket: &SocketRef, rt: &Realtime, api_token: Option<String>) -> Result<Connection, Refusal> {
    let parts = socket.req_parts();
    if !origin_allowed(&parts.headers, &rt.site) {
        tracing::info!(ns = socket.ns(), socket_id = %socket.id, "refused: foreign origin");
        return Err(Refusal::Origin);
    }
    // The session cookie, or else an API token from `auth: { token }`.
    let cookie = cookie_value(&parts.headers, session_cookie_name(rt.site.https()));
    let token = cookie.or(api_token).ok_or(Refusal::SignedOut)?;
    let user = rt.service.session_user(&token).await?.ok_or(Refusal::SignedOut)?;
    let slug = socket.ns().trim_start_matches('/');
    let standing = rt.service.standing(&user, slug).await.inspect_err(|e| {
        tracing::info!(user_id = user.id, ns = socket.ns(), socket_id = %socket.id, reason = %e, "refused: not a member");
    })?;
    let Some(pass) = rt.sockets.claim(user.id, rt.max_sockets_per_user) else {
        tracing::info!(user_id = user.id, ns = socket.ns(), "refused: too many sockets");
        return Err(Refusal::TooManySockets(rt.max_sockets_per_user));
    };
    // Then on every server of a cluster (given back if refused).
    let counted = CountedSocket::new(pass, user.id, rt.cluster_sockets.clone());
    if let Some(cluster) = &rt.cluster_sockets
        && cluster.claim(user.id, rt.max_sockets_per_user).await == Some(false)
    {
        tracing::info!(user_id = user.id, ns = socket.ns(), "refused: too many sockets on the servers together");
        return Err(Refusal::TooManySockets(rt.max_sockets_per_user));
    }
    // Their notices are followed here from where their stream is now.
    let notice_seq = rt.service.last_notice_seq(&standing).await?;
    rt.notices.watch(&standing.org.slug, user.id, notice_seq);
    Ok(Connection {
        seat: Seat { token_hash: auth::token_hash(&token), user, org: standing.org },
        _counted: Arc::new(counted),
        rooms: Arc::default(),
        typing_at: Arc::default(),
        present: Arc::default(),
        cut_off_linger: rt.cut_off_linger,
        limits: Arc::default(),
    })
}

/// An admitted socket's rooms and event handlers, in place before the client
/// hears it is connected.
fn set_up(socket: &SocketRef, connection: Connection) {
    let seat = &connection.seat;
    socket.join([user_room(seat.user.id), session_room(&seat.token_hash)]);
    socket.extensions.insert(connection);
    socket.extensions.insert(Arc::new(SendQueue::default()));
    for event in CLIENT_EVENTS {
        match event {
            events::JOIN => socket.on(event, joining::on_join),
            events::LEAVE => socket.on(event, joining::on_leave),
            events::SEND => socket.on(event, requests::on_send),
            events::EDIT => socket.on(event, requests::on_edit),
            events::REACT => socket.on(event, requests::on_react),
            events::PIN => socket.on(event, requests::on_pin),
            events::READ => socket.on(event, requests::on_read),
            events::READ_THREAD => socket.on(event, thread_requests::on_read_thread),
            events::FOLLOW_THREAD => socket.on(event, thread_requests::on_follow_thread),
            events::NOTICES => socket.on(event, requests::on_notices),
            events::TYPING => socket.on(event, requests::on_typing),
            events::OPEN_DIRECT => socket.on(event, requests::on_open_direct),
            _ => unreachable!("every client event has its handler"),
        }
    }
    // Any other event is answered (an unknown name is a mistake to tell).
    socket.on_fallback(requests::on_unknown);
    // Only extractors that cannot fail here: a failing one would leave the
    // socket in its rooms (and its person online) for good.
    socket.on_disconnect(
        async |socket: SocketRef,
               reason: DisconnectReason,
               State(rt): State<Realtime>,
               MaybeExtension(c): MaybeExtension<Connection>| {
            let Some(c) = c else { return };
            let (user_id, org) = (c.seat.user.id, &c.seat.org.slug);
            rt.presence.depart(org, user_id, &c.present);
            tracing::info!(user_id, %org, socket_id = %socket.id, ?reason, "socket disconnected");
        },
    );
}

/// Browsers always send `Origin` with a WebSocket handshake; it must be this
/// site's or one the operator allowed. Clients without one (bots, scripts)
/// are not browsers and carry their own cookie on purpose.
fn origin_allowed(headers: &http::HeaderMap, site: &Site) -> bool {
    let Some(origin) = headers.get(http::header::ORIGIN) else {
        return true;
    };
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    origin.to_str().is_ok_and(|o| site.origin_allowed(o, host))
}

async fn on_connect(socket: SocketRef, State(rt): State<Realtime>, Extension(c): Extension<Connection>) {
    let seat = &c.seat;
    // The socket is in its session's room now, so from here on a sign-out
    // closes it; check once more for one that came while it was admitted.
    if let Err(e) = rt.service.standing_by_session(seat).await {
        tracing::info!(user_id = seat.user.id, org = %seat.org.slug, socket_id = %socket.id, reason = %e, "closing a socket whose access ended while it connected");
        let _ = socket.disconnect();
        return;
    }
    rt.presence.arrive(&socket, &seat.org.slug, seat.user.id, &c.present);
    tracing::info!(
        user_id = seat.user.id,
        user = %seat.user.username,
        org = %seat.org.slug,
        socket_id = %socket.id,
        "socket connected"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(http::header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins() {
        let site = Site::new(None, &["https://app.example/".into()], false).unwrap();
        assert!(origin_allowed(&headers(None, "chat.example.com"), &site));
        assert!(origin_allowed(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), &site));
        assert!(!origin_allowed(&headers(Some("http://evil.example"), "127.0.0.1:3000"), &site));
        assert!(origin_allowed(&headers(Some("https://app.example"), "10.0.0.5:3000"), &site));
    }
}
