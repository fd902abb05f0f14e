//! Where a caller stands: who they are, in which organization, with which
//! role. Resolved once per request (by the organization's name) or per live
//! event (by the connection's session, checked as it is now), and taken by
//! every use case in an organization; a channel use case takes the same
//! standing with the channel as its holder may read it ([`ChannelAccess`]).

use super::{Service, fail};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::kinds::Role;
use crate::model::{Channel, Org, User};
use crate::rules;

/// Who asks, in which organization, with which role (as it was when looked
/// up: a live connection looks again at each event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub user: User,
    pub org: Org,
    pub role: Role,
}

/// What a live connection claims: its session (by the token's hash), its
/// user and the organization it connected to. Its standing is looked up
/// again at each event ([`Service::standing_by_session`]), so a session or
/// membership that ended since is noticed.
#[derive(Clone, Debug)]
pub struct Seat {
    pub token_hash: String,
    pub user: User,
    pub org: Org,
}

/// A channel as someone standing in its organization may read it: the
/// access rules allowed it when it was looked up.
#[derive(Clone, Debug)]
pub struct ChannelAccess {
    pub standing: Standing,
    pub channel: Channel,
}

/// A live connection's standing and, looked up in the same query, one
/// channel of its organization as its user sees it (`None`: no such
/// channel there).
#[derive(Clone, Debug)]
pub struct SessionChannel {
    pub standing: Standing,
    pub channel: Option<Channel>,
}

/// What a channel that is not there, or not for the caller, is called: the
/// same words either way.
fn no_such_channel() -> CoreError {
    CoreError::not_found("There is no such channel in this organization.")
}

impl Standing {
    /// The channel as this caller may read it, or "no such channel" (for one
    /// of another organization too, in the same words).
    pub fn reading(self, channel: Option<Channel>) -> CoreResult<ChannelAccess> {
        let channel = channel.filter(|c| c.org_id == self.org.id).ok_or_else(no_such_channel)?;
        access::read_channel(self.role, channel.kind, channel.joined)?;
        Ok(ChannelAccess { standing: self, channel })
    }
}

impl SessionChannel {
    /// The channel as the connection's user may read it.
    pub fn reading(self) -> CoreResult<ChannelAccess> {
        self.standing.reading(self.channel)
    }
}

impl Service {
    /// Whether an organization with this slug exists.
    pub async fn org_exists(&self, slug: &str) -> CoreResult<bool> {
        Ok(self.store.org_by_slug(slug).await.map_err(fail("looking up organization"))?.is_some())
    }

    /// Where `user` stands in organization `slug`; outsiders get "not found"
    /// (not told whether it exists).
    pub async fn standing(&self, user: &User, slug: &str) -> CoreResult<Standing> {
        let org = self.store.org_by_slug(slug).await.map_err(fail("looking up organization"))?;
        let Some(org) = org else {
            return Err(access::member(None).unwrap_err());
        };
        let role = self.store.role_in(org.id, user.id).await.map_err(fail("looking up membership"))?;
        Ok(Standing { user: user.clone(), org, role: access::member(role)? })
    }

    /// Where a live connection stands now: `Err` when its session has ended
    /// or its user is no longer a member ([`CoreError::is_access_ended`]),
    /// or when that cannot be checked.
    pub async fn standing_by_session(&self, seat: &Seat) -> CoreResult<Standing> {
        match self.store.session_role(&seat.token_hash, seat.org.id).await.map_err(fail("checking session"))? {
            Some(role) => Ok(Standing { user: seat.user.clone(), org: seat.org.clone(), role }),
            None => Err(self.ended(&seat.token_hash).await),
        }
    }

    /// [`Service::standing_by_session`] and channel `channel_id` as the
    /// connection's user sees it, in one query (a live `send` and `join`).
    pub async fn session_channel(&self, seat: &Seat, channel_id: i64) -> CoreResult<SessionChannel> {
        let looked = self
            .store
            .session_channel(&seat.token_hash, seat.org.id, channel_id)
            .await
            .map_err(fail("checking session"))?;
        let Some((role, channel)) = looked else { return Err(self.ended(&seat.token_hash).await) };
        Ok(SessionChannel { standing: Standing { user: seat.user.clone(), org: seat.org.clone(), role }, channel })
    }

    /// Which access of a connection ended: its session, or (the session
    /// still being good) its membership.
    async fn ended(&self, token_hash: &str) -> CoreError {
        match self.store.session_user(token_hash).await {
            Ok(Some(_)) => access::member(None).unwrap_err(),
            Ok(None) => CoreError::Unauthenticated,
            Err(e) => fail("checking session")(e),
        }
    }

    /// Channel `name` as the caller may read it. A direct conversation goes
    /// by its stored name; another channel as people type it.
    pub async fn channel_named(&self, standing: &Standing, name: &str) -> CoreResult<ChannelAccess> {
        let name = match rules::direct_people(name) {
            Some(_) => name.to_owned(),
            None => rules::channel_address(name)?,
        };
        let channel = self
            .store
            .channel_by_name(standing.org.id, &name, standing.user.id)
            .await
            .map_err(fail("looking up channel"))?;
        // Someone else's direct conversation is "not there", in the words
        // that name it.
        standing
            .clone()
            .reading(channel)
            .map_err(|_| CoreError::not_found(format!("There is no channel #{name} here.")))
    }

    /// Channel `channel_id` as the caller may read it.
    pub async fn channel_by_id(&self, standing: &Standing, channel_id: i64) -> CoreResult<ChannelAccess> {
        let channel =
            self.store.channel_by_id(channel_id, standing.user.id).await.map_err(fail("looking up channel"))?;
        standing.clone().reading(channel)
    }

    /// The member of the caller's organization named `username`, and their role.
    pub(super) async fn member_named(&self, standing: &Standing, username: &str) -> CoreResult<Standing> {
        let not_member = || CoreError::not_found(format!("{} is not a member of this organization.", username.trim()));
        let user =
            self.store.user_by_name(username.trim()).await.map_err(fail("looking up user"))?.ok_or_else(not_member)?;
        let role = self
            .store
            .role_in(standing.org.id, user.id)
            .await
            .map_err(fail("looking up membership"))?
            .ok_or_else(not_member)?;
        Ok(Standing { user: user.public(), org: standing.org.clone(), role })
    }
}
