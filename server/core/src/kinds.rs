//! The closed sets access is decided on: a person's role in an organization,
//! a channel's kind and the kinds of event in a channel's stream (and what
//! an audit log entry records). They cross the wire as they are (lowercase strings,
//! re-exported by `app::protocol`) and are stored with the same spelling; a
//! stored spelling this build does not know parses to `None`, never to
//! another value, so access rules fail closed.

use serde::{Deserialize, Serialize};

/// A user's standing in one organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Created the organization; may do everything an admin may.
    Owner,
    /// Manages members, invites and restricted channels.
    Admin,
    /// Sees supervisor channels; otherwise a member.
    Supervisor,
    /// An ordinary member.
    Member,
}

impl Role {
    /// The stored spelling of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Member => "member",
        }
    }

    /// Sees supervisor channels (and everything a member sees).
    pub fn sees_supervisor_rooms(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Supervisor)
    }

    /// Manages the organization's people: invites, removals, roles.
    pub fn manages_people(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Parses the stored spelling; unknown text is `None`.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "supervisor" => Role::Supervisor,
            "member" => Role::Member,
            _ => return None,
        })
    }
}

/// Who may see a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Every member of the organization may read and join it.
    Public,
    /// Only the members who were added to it (by one of its members) see it.
    Private,
    /// Only supervisors, admins and owners see it, read it and may join it;
    /// to anyone else it does not exist.
    Supervisor,
    /// A direct conversation between a few members (1:1 or a small group):
    /// only they see it; nobody joins or leaves it by hand.
    Direct,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Public => "public",
            ChannelKind::Private => "private",
            ChannelKind::Supervisor => "supervisor",
            ChannelKind::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        match s {
            "public" => Some(ChannelKind::Public),
            "private" => Some(ChannelKind::Private),
            "supervisor" => Some(ChannelKind::Supervisor),
            "direct" => Some(ChannelKind::Direct),
            _ => None,
        }
    }
}

/// What an event of a channel's stream is. Every change to a channel takes
/// the channel's next `seq`, so a client that has every `seq` has the whole
/// channel, whatever kinds it shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A message someone posted (`body` is its text).
    #[default]
    Message,
    /// `author` joined the channel (`body` is empty).
    Joined,
    /// `author` left the channel, or was taken out of the organization
    /// (`body` is empty).
    Left,
    /// `author` deleted the message whose `seq` is the event's `refers_to`
    /// (`body` is empty; the message's text is gone from the store too).
    Deleted,
    /// `author` edited the message whose `seq` is the event's `refers_to`;
    /// `body` is its new text.
    Edited,
    /// `author` reacted to the message whose `seq` is the event's
    /// `refers_to` with the emoji in `body`.
    ReactionAdded,
    /// `author` took back their reaction `body` to message `refers_to`.
    ReactionRemoved,
    /// `author` pinned the message whose `seq` is the event's `refers_to`.
    Pinned,
    /// `author` unpinned message `refers_to`.
    Unpinned,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Joined => "joined",
            EventKind::Left => "left",
            EventKind::Deleted => "deleted",
            EventKind::Edited => "edited",
            EventKind::ReactionAdded => "reaction_added",
            EventKind::ReactionRemoved => "reaction_removed",
            EventKind::Pinned => "pinned",
            EventKind::Unpinned => "unpinned",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        Some(match s {
            "message" => EventKind::Message,
            "joined" => EventKind::Joined,
            "left" => EventKind::Left,
            "deleted" => EventKind::Deleted,
            "edited" => EventKind::Edited,
            "reaction_added" => EventKind::ReactionAdded,
            "reaction_removed" => EventKind::ReactionRemoved,
            "pinned" => EventKind::Pinned,
            "unpinned" => EventKind::Unpinned,
            _ => return None,
        })
    }
}

/// What an audit log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Signed in (the entry belongs to the person, shown in each of their
    /// organizations' logs).
    SignedIn,
    InviteCreated,
    InviteRevoked,
    /// Joined the organization through an invite.
    JoinedOrg,
    LeftOrg,
    MemberRemoved,
    /// `detail` says from which role to which.
    RoleChanged,
    /// A private or supervisor channel was made.
    ChannelCreated,
    /// Joined a channel (`detail` names its kind).
    ChannelJoined,
    /// Put someone in a private or supervisor channel.
    AddedToChannel,
    /// Left a channel, or was taken out of a supervisor one.
    ChannelLeft,
    /// Deleted a message (`detail` says whose, and its `seq`).
    MessageDeleted,
    /// Changed the organization's settings (`detail` says to what).
    SettingsChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 13] = [
        AuditAction::SignedIn,
        AuditAction::InviteCreated,
        AuditAction::InviteRevoked,
        AuditAction::JoinedOrg,
        AuditAction::LeftOrg,
        AuditAction::MemberRemoved,
        AuditAction::RoleChanged,
        AuditAction::ChannelCreated,
        AuditAction::ChannelJoined,
        AuditAction::AddedToChannel,
        AuditAction::ChannelLeft,
        AuditAction::MessageDeleted,
        AuditAction::SettingsChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignedIn => "signed_in",
            AuditAction::InviteCreated => "invite_created",
            AuditAction::InviteRevoked => "invite_revoked",
            AuditAction::JoinedOrg => "joined_org",
            AuditAction::LeftOrg => "left_org",
            AuditAction::MemberRemoved => "member_removed",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::ChannelCreated => "channel_created",
            AuditAction::ChannelJoined => "channel_joined",
            AuditAction::AddedToChannel => "added_to_channel",
            AuditAction::ChannelLeft => "channel_left",
            AuditAction::MessageDeleted => "message_deleted",
            AuditAction::SettingsChanged => "settings_changed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// How the log reads it, after the actor's name.
    pub fn in_words(self) -> &'static str {
        match self {
            AuditAction::SignedIn => "signed in",
            AuditAction::InviteCreated => "made an invite link",
            AuditAction::InviteRevoked => "revoked an invite link",
            AuditAction::JoinedOrg => "joined the organization",
            AuditAction::LeftOrg => "left the organization",
            AuditAction::MemberRemoved => "removed",
            AuditAction::RoleChanged => "changed the role of",
            AuditAction::ChannelCreated => "created",
            AuditAction::ChannelJoined => "joined",
            AuditAction::AddedToChannel => "added someone to",
            AuditAction::ChannelLeft => "left",
            AuditAction::MessageDeleted => "deleted a message in",
            AuditAction::SettingsChanged => "changed the organization's settings",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_kind_is_named_the_same_on_the_wire_and_in_the_store() {
        let all = [
            EventKind::Message,
            EventKind::Joined,
            EventKind::Left,
            EventKind::Deleted,
            EventKind::Edited,
            EventKind::ReactionAdded,
            EventKind::ReactionRemoved,
            EventKind::Pinned,
            EventKind::Unpinned,
        ];
        for kind in all {
            let wire = serde_json::to_value(kind).unwrap();
            assert_eq!(wire, kind.as_str(), "{kind:?}");
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
    }
}
