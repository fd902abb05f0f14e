//! Access control: the one place that decides who may see, join or post where.
//! Every use case of the service asks here, whoever calls it (a server
//! function or a Socket.IO handler), so a rule changes in one place.
//!
//! Every decision takes the facts (role, channel kind, membership) and returns
//! `Ok(())` or the error to show; none touches the database.

use crate::error::CoreError;
use crate::kinds::{ChannelKind, Role};

/// Anyone in the organization: reading its channel list, creating channels.
pub fn member(role: Option<Role>) -> Result<Role, CoreError> {
    // Not telling outsiders whether the organization exists.
    role.ok_or_else(|| CoreError::not_found("No such organization, or you are not a member of it."))
}

/// May invite people to the organization.
pub fn invite(role: Role) -> Result<(), CoreError> {
    match role {
        Role::Owner | Role::Admin => Ok(()),
        _ => Err(CoreError::forbidden("Only the organization's owner and admins can invite people.")),
    }
}

/// May `actor` take `target` out of the organization? Owners and admins
/// remove people, an admin never an owner, and an organization always keeps
/// an owner (`owners` is how many it has now).
pub fn remove_member(actor: Role, target: Role, owners: i64) -> Result<(), CoreError> {
    match (actor, target) {
        (Role::Owner | Role::Admin, Role::Owner) if actor != Role::Owner => {
            Err(CoreError::forbidden("Only an owner can remove an owner."))
        }
        (_, Role::Owner) if owners <= 1 => {
            Err(CoreError::forbidden("The last owner cannot be removed; make someone else an owner first."))
        }
        (Role::Owner | Role::Admin, _) => Ok(()),
        _ => Err(CoreError::forbidden("Only the organization's owners and admins can remove people.")),
    }
}

/// May see a channel's messages (read history, subscribe to its room):
/// every member a public channel, only its people a direct conversation.
/// Others are not told a conversation exists.
pub fn read_channel(_role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    match kind {
        ChannelKind::Public => Ok(()),
        ChannelKind::Direct if joined => Ok(()),
        ChannelKind::Direct => Err(CoreError::not_found("There is no such channel in this organization.")),
    }
}

/// May join a channel (and so post to it): public ones; a direct
/// conversation's people are in it from its start.
pub fn join_channel(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    match kind {
        ChannelKind::Public => Ok(()),
        ChannelKind::Direct => Err(CoreError::forbidden("A direct conversation cannot be joined by hand.")),
    }
}

/// May leave a channel: public ones; a direct conversation is kept by all
/// of its people.
pub fn leave_channel(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    match kind {
        ChannelKind::Public => Ok(()),
        ChannelKind::Direct => Err(CoreError::forbidden("A direct conversation cannot be left.")),
    }
}

/// May post to a channel: must see it and have joined it.
pub fn post(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    if joined { Ok(()) } else { Err(CoreError::forbidden("Join the channel to post in it.")) }
}

/// May start a direct conversation with `people` members (the starter
/// included, duplicates removed).
pub fn start_direct(people: usize) -> Result<(), CoreError> {
    if people < 2 {
        return Err(CoreError::invalid("Choose at least one other member to write to."));
    }
    if people > crate::rules::MAX_DIRECT_PEOPLE {
        return Err(CoreError::invalid(format!(
            "A direct conversation has at most {} people, you included.",
            crate::rules::MAX_DIRECT_PEOPLE
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outsiders_see_nothing() {
        assert!(matches!(member(None).unwrap_err(), CoreError::NotFound(_)));
        assert_eq!(member(Some(Role::Member)).unwrap(), Role::Member);
    }

    #[test]
    fn only_owners_and_admins_invite() {
        assert!(invite(Role::Owner).is_ok());
        assert!(invite(Role::Admin).is_ok());
        assert!(matches!(invite(Role::Member).unwrap_err(), CoreError::Forbidden(_)));
        assert!(invite(Role::Supervisor).is_err());
    }

    #[test]
    fn removing_people() {
        assert!(remove_member(Role::Owner, Role::Member, 1).is_ok());
        assert!(remove_member(Role::Admin, Role::Supervisor, 1).is_ok());
        assert!(remove_member(Role::Owner, Role::Owner, 2).is_ok());
        assert!(matches!(remove_member(Role::Owner, Role::Owner, 1).unwrap_err(), CoreError::Forbidden(_)));
        assert!(remove_member(Role::Admin, Role::Owner, 3).is_err());
        assert!(remove_member(Role::Member, Role::Member, 1).is_err());
        assert!(remove_member(Role::Supervisor, Role::Member, 1).is_err());
    }

    #[test]
    fn posting_needs_joining() {
        assert!(read_channel(Role::Member, ChannelKind::Public, false).is_ok());
        assert!(post(Role::Member, ChannelKind::Public, true).is_ok());
        assert!(matches!(post(Role::Member, ChannelKind::Public, false).unwrap_err(), CoreError::Forbidden(_)));
    }

    #[test]
    fn direct_conversations_are_for_their_people_only() {
        assert!(read_channel(Role::Owner, ChannelKind::Direct, true).is_ok());
        // Not even an owner sees someone else's conversation, or learns it exists.
        assert!(matches!(read_channel(Role::Owner, ChannelKind::Direct, false).unwrap_err(), CoreError::NotFound(_)));
        assert!(matches!(join_channel(Role::Admin, ChannelKind::Direct, false).unwrap_err(), CoreError::NotFound(_)));
        assert!(matches!(leave_channel(Role::Member, ChannelKind::Direct, true).unwrap_err(), CoreError::Forbidden(_)));
        assert!(post(Role::Member, ChannelKind::Direct, true).is_ok());
        assert!(start_direct(1).is_err());
        assert!(start_direct(2).is_ok());
        assert!(start_direct(crate::rules::MAX_DIRECT_PEOPLE).is_ok());
        assert!(start_direct(crate::rules::MAX_DIRECT_PEOPLE + 1).is_err());
    }
}
