//! Access control: the one place that decides who may see, join or post where.
//! Every use case of the service asks here, whoever calls it (a server
//! function or a Socket.IO handler), so a rule changes in one place.
//!
//! Every decision takes the facts (role, channel kind, membership) and returns
//! `Ok(())` or the error to show; none touches the database.

use crate::error::CoreError;
use crate::kinds::{ChannelKind, Role};

/// Anyone in the organization: reading its channel list, creating channels.
pub(crate) fn member(role: Option<Role>) -> Result<Role, CoreError> {
    role.ok_or_else(not_a_member)
}

/// What an outsider is told (not whether the organization exists).
pub(crate) fn not_a_member() -> CoreError {
    CoreError::not_found("No such organization, or you are not a member of it.")
}

/// May invite people to the organization.
pub(crate) fn invite(role: Role) -> Result<(), CoreError> {
    match role {
        Role::Owner | Role::Admin => Ok(()),
        _ => Err(CoreError::forbidden("Only the organization's owner and admins can invite people.")),
    }
}

/// May change the organization's settings (read receipts).
pub(crate) fn change_settings(role: Role) -> Result<(), CoreError> {
    match role {
        Role::Owner => Ok(()),
        _ => Err(CoreError::forbidden("Only the organization's owners can change its settings.")),
    }
}

/// Who sees how many bytes of files the organization keeps: its owners.
pub(crate) fn see_file_storage(role: Role) -> Result<(), CoreError> {
    match role {
        Role::Owner => Ok(()),
        _ => Err(CoreError::forbidden("Only the organization's owners see how much it keeps in files.")),
    }
}

/// Whether a channel shows who has read what: direct conversations when the
/// organization has receipts on, other channels of at most `up_to` people
/// too, and supervisor channels always (they require them).
pub(crate) fn shows_receipts(kind: ChannelKind, people: i64, on: bool, up_to: i64) -> bool {
    match kind {
        ChannelKind::Supervisor => true,
        ChannelKind::Direct => on,
        ChannelKind::Public | ChannelKind::Private => on && people <= up_to,
    }
}

/// May read the organization's audit log.
pub(crate) fn read_audit_log(role: Role) -> Result<(), CoreError> {
    if role.manages_people() {
        Ok(())
    } else {
        Err(CoreError::forbidden("Only the organization's owners and admins can read its audit log."))
    }
}

/// Whether the audit log shows `role` the addresses people acted from: to
/// owners only, since an address is personal data (admins read the same
/// entries without them).
pub(crate) fn sees_addresses(role: Role) -> bool {
    role == Role::Owner
}

/// May `actor` take `target` out of the organization? Owners and admins
/// remove people, an admin never an owner, and an organization always keeps
/// an owner (`owners` is how many it has now).
pub(crate) fn remove_member(actor: Role, target: Role, owners: i64) -> Result<(), CoreError> {
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

/// May see a channel at all (in lists, its history, its room): every member
/// a public channel; supervisors, admins and owners a supervisor channel;
/// only its people a private channel or a direct conversation. To anyone
/// else a restricted channel does not exist, in the same words as one that
/// does not.
pub(crate) fn read_channel(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    let visible = match kind {
        ChannelKind::Public => true,
        ChannelKind::Supervisor => role.sees_supervisor_rooms(),
        ChannelKind::Private | ChannelKind::Direct => joined,
    };
    if visible { Ok(()) } else { Err(CoreError::not_found("There is no such channel in this organization.")) }
}

/// Whether someone with `role` sees a channel of `kind` (`joined`: they are
/// in it): [`read_channel`] as a yes or no, for lists, notices, and working
/// out who loses sight of what when a role or a membership changes.
pub(crate) fn sees(role: Role, kind: ChannelKind, joined: bool) -> bool {
    read_channel(role, kind, joined).is_ok()
}

/// May join a channel (and so post to it): a public one, or a supervisor one
/// for those who see it. People are added to a private channel by its
/// members, and are in a direct conversation from its start.
pub(crate) fn join_channel(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    match kind {
        ChannelKind::Public | ChannelKind::Supervisor => Ok(()),
        // Seen, so already in it: joining again changes nothing.
        ChannelKind::Private => Ok(()),
        ChannelKind::Direct => Err(CoreError::forbidden("A direct conversation cannot be joined by hand.")),
    }
}

/// May leave a channel: any but a direct conversation, which is kept by all
/// of its people.
pub(crate) fn leave_channel(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    match kind {
        ChannelKind::Public | ChannelKind::Private | ChannelKind::Supervisor => Ok(()),
        ChannelKind::Direct => Err(CoreError::forbidden("A direct conversation cannot be left.")),
    }
}

/// May post to a channel: must see it and have joined it.
pub(crate) fn post(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    if joined { Ok(()) } else { Err(CoreError::forbidden("Join the channel to post in it.")) }
}

/// May someone who sees a channel delete a message in it (`own`: one they
/// posted)? Everyone their own; owners and admins anyone's, to keep the
/// organization's channels clean, except in direct conversations, which
/// belong to the people in them.
pub(crate) fn delete_message(role: Role, kind: ChannelKind, joined: bool, own: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    if own || (role.manages_people() && kind != ChannelKind::Direct) {
        Ok(())
    } else {
        Err(CoreError::forbidden("You can delete only your own messages."))
    }
}

/// May someone who sees a channel edit a message in it (`own`: one they
/// posted)? Only its author, and only while they may still post there:
/// nobody, owners and admins included, edits another's words.
pub(crate) fn edit_message(role: Role, kind: ChannelKind, joined: bool, own: bool) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    if !own {
        return Err(CoreError::forbidden("You can edit only your own messages."));
    }
    post(role, kind, joined)
}

/// May pin and unpin messages in a channel: anyone who may post there (a
/// pin is for everyone in it, so those who only read it may not).
pub(crate) fn pin(role: Role, kind: ChannelKind, joined: bool) -> Result<(), CoreError> {
    post(role, kind, joined).map_err(|e| match e {
        CoreError::Forbidden(_) => CoreError::forbidden("Join the channel to pin messages in it."),
        other => other,
    })
}

/// May create a channel of `kind`: public and private ones every member,
/// supervisor ones only those who see them. Direct conversations are
/// started, not created ([`start_direct`]).
pub(crate) fn create_channel(role: Role, kind: ChannelKind) -> Result<(), CoreError> {
    match kind {
        ChannelKind::Public | ChannelKind::Private => Ok(()),
        ChannelKind::Supervisor if role.sees_supervisor_rooms() => Ok(()),
        ChannelKind::Supervisor => {
            Err(CoreError::forbidden("Only supervisors, admins and owners can create supervisor channels."))
        }
        ChannelKind::Direct => Err(CoreError::invalid("Start a direct conversation from the member list.")),
    }
}

/// May someone who sees a channel (`role`, `joined`) add `target` (their
/// role) to it? Its members add people to a private channel, and anyone who
/// may join a supervisor channel adds those who may see it.
pub(crate) fn add_to_channel(role: Role, kind: ChannelKind, joined: bool, target: Role) -> Result<(), CoreError> {
    read_channel(role, kind, joined)?;
    match kind {
        ChannelKind::Private if joined => Ok(()),
        ChannelKind::Private => Err(CoreError::forbidden("Join the channel to add people to it.")),
        ChannelKind::Supervisor if target.sees_supervisor_rooms() => Ok(()),
        ChannelKind::Supervisor => {
            Err(CoreError::forbidden("Only supervisors, admins and owners can be in a supervisor channel."))
        }
        ChannelKind::Public => Err(CoreError::invalid("Anyone can join a public channel; send them its name.")),
        ChannelKind::Direct => Err(CoreError::forbidden("A direct conversation keeps the people it started with.")),
    }
}

/// May `actor` change `target`'s role from `from` to `to`? Owners change
/// anyone's; admins change those who are not owners, to anything but
/// owner. An organization always keeps an owner (`owners` is how many it
/// has now).
pub(crate) fn set_role(actor: Role, from: Role, to: Role, owners: i64) -> Result<(), CoreError> {
    if !actor.manages_people() {
        return Err(CoreError::forbidden("Only the organization's owners and admins can change roles."));
    }
    if actor != Role::Owner && (from == Role::Owner || to == Role::Owner) {
        return Err(CoreError::forbidden("Only an owner can make someone an owner or change an owner's role."));
    }
    if from == Role::Owner && to != Role::Owner && owners <= 1 {
        return Err(CoreError::forbidden("The last owner must stay an owner; make someone else an owner first."));
    }
    Ok(())
}

/// May someone with `role` leave the organization? Anyone but its last owner.
pub(crate) fn leave_org(role: Role, owners: i64) -> Result<(), CoreError> {
    if role == Role::Owner && owners <= 1 {
        return Err(CoreError::forbidden("The last owner cannot leave; make someone else an owner first."));
    }
    Ok(())
}

/// May start a direct conversation with `people` members (the starter
/// included, duplicates removed).
pub(crate) fn start_direct(people: usize) -> Result<(), CoreError> {
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
    fn deleting_messages() {
        use ChannelKind::*;
        assert!(delete_message(Role::Member, Public, false, true).is_ok());
        assert!(matches!(delete_message(Role::Member, Public, true, false).unwrap_err(), CoreError::Forbidden(_)));
        assert!(delete_message(Role::Supervisor, Supervisor, true, false).is_err());
        assert!(delete_message(Role::Admin, Public, false, false).is_ok());
        assert!(delete_message(Role::Owner, Supervisor, false, false).is_ok());
        assert!(delete_message(Role::Owner, Direct, true, false).is_err());
        assert!(delete_message(Role::Member, Direct, true, true).is_ok());
        // What one may not see, one may not delete in, not even one's own.
        assert!(matches!(delete_message(Role::Member, Supervisor, false, true).unwrap_err(), CoreError::NotFound(_)));
        assert!(delete_message(Role::Admin, Private, false, true).is_err());
    }

    #[test]
    fn posting_needs_joining() {
        assert!(read_channel(Role::Member, ChannelKind::Public, false).is_ok());
        assert!(post(Role::Member, ChannelKind::Public, true).is_ok());
        assert!(matches!(post(Role::Member, ChannelKind::Public, false).unwrap_err(), CoreError::Forbidden(_)));
    }

    #[test]
    fn supervisor_channels_exist_only_for_supervisors_admins_and_owners() {
        for role in [Role::Supervisor, Role::Admin, Role::Owner] {
            assert!(read_channel(role, ChannelKind::Supervisor, false).is_ok(), "{role:?}");
            assert!(join_channel(role, ChannelKind::Supervisor, false).is_ok(), "{role:?}");
            assert!(create_channel(role, ChannelKind::Supervisor).is_ok(), "{role:?}");
        }
        // A member is told nothing, not even that it exists; having joined
        // before a demotion changes nothing.
        for joined in [false, true] {
            assert!(matches!(read_channel(Role::Member, ChannelKind::Supervisor, joined), Err(CoreError::NotFound(_))));
            assert!(matches!(join_channel(Role::Member, ChannelKind::Supervisor, joined), Err(CoreError::NotFound(_))));
            assert!(matches!(post(Role::Member, ChannelKind::Supervisor, joined), Err(CoreError::NotFound(_))));
        }
        assert!(matches!(create_channel(Role::Member, ChannelKind::Supervisor), Err(CoreError::Forbidden(_))));
        assert!(add_to_channel(Role::Supervisor, ChannelKind::Supervisor, false, Role::Admin).is_ok());
        assert!(add_to_channel(Role::Supervisor, ChannelKind::Supervisor, true, Role::Member).is_err());
    }

    #[test]
    fn private_channels_are_for_the_people_added_to_them() {
        for role in [Role::Member, Role::Supervisor, Role::Admin, Role::Owner] {
            assert!(matches!(read_channel(role, ChannelKind::Private, false), Err(CoreError::NotFound(_))), "{role:?}");
            assert!(matches!(join_channel(role, ChannelKind::Private, false), Err(CoreError::NotFound(_))), "{role:?}");
            assert!(read_channel(role, ChannelKind::Private, true).is_ok());
        }
        assert!(create_channel(Role::Member, ChannelKind::Private).is_ok());
        assert!(add_to_channel(Role::Member, ChannelKind::Private, true, Role::Member).is_ok());
        assert!(matches!(
            add_to_channel(Role::Owner, ChannelKind::Private, false, Role::Member),
            Err(CoreError::NotFound(_))
        ));
        assert!(leave_channel(Role::Member, ChannelKind::Private, true).is_ok());
    }

    #[test]
    fn roles_are_changed_by_owners_and_admins_and_an_owner_always_remains() {
        assert!(set_role(Role::Owner, Role::Member, Role::Supervisor, 1).is_ok());
        assert!(set_role(Role::Owner, Role::Member, Role::Owner, 1).is_ok());
        assert!(set_role(Role::Owner, Role::Owner, Role::Admin, 2).is_ok());
        assert!(set_role(Role::Owner, Role::Owner, Role::Admin, 1).is_err(), "the last owner");
        assert!(set_role(Role::Admin, Role::Member, Role::Admin, 1).is_ok());
        assert!(set_role(Role::Admin, Role::Supervisor, Role::Member, 1).is_ok());
        assert!(set_role(Role::Admin, Role::Member, Role::Owner, 1).is_err(), "admins make no owners");
        assert!(set_role(Role::Admin, Role::Owner, Role::Member, 3).is_err(), "admins leave owners alone");
        assert!(set_role(Role::Supervisor, Role::Member, Role::Supervisor, 1).is_err());
        assert!(set_role(Role::Member, Role::Member, Role::Admin, 1).is_err());
        assert!(leave_org(Role::Owner, 1).is_err());
        assert!(leave_org(Role::Owner, 2).is_ok());
        assert!(leave_org(Role::Member, 1).is_ok());
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
