//! An organization's workspace as every page of it shares it: its channels
//! and conversations, its members and who of them is online, the person's
//! role and unread counts, and (in the browser) the organization's one live
//! connection, which [`following`] keeps these up to date from. No view:
//! the sidebar and the chat read it from context.

use std::collections::HashSet;

use leptos::prelude::*;

use super::threads::Threads;
use super::unread::Unread;
use crate::protocol::{Channel, ChannelId, Member, OrgView, Role, User, UserId, events};

#[cfg(feature = "hydrate")]
mod following;
#[cfg(feature = "hydrate")]
mod notices;

/// What the pages of an organization share; in context for the workspace's view.
#[derive(Clone, Copy)]
pub(crate) struct Workspace {
    pub slug: StoredValue<String>,
    /// The signed-in person.
    pub me: Option<UserId>,
    /// Its channels the person sees and the person's direct conversations.
    pub channels: RwSignal<Vec<Channel>>,
    pub members: RwSignal<Vec<Member>>,
    /// The person's role here (what they may create and see).
    pub role: RwSignal<Role>,
    /// Who is online now (empty until the live connection says).
    pub online: RwSignal<HashSet<UserId>>,
    pub unread: Unread,
    /// The threads the person follows.
    pub threads: Threads,
    /// Members (not only owners and admins) may mention everyone in a channel.
    pub members_mention_all: bool,
    /// The channel open in the pane, if any.
    pub open: Option<ChannelId>,
    #[cfg(feature = "hydrate")]
    live: following::Live,
}

impl Workspace {
    /// The workspace of organization `view.org` for `me`, with `open` the
    /// channel shown in the pane, put in context; in the browser it
    /// connects and follows every joined channel for as long as the page
    /// lives.
    pub(crate) fn provide(view: OrgView, me: Option<&User>, open: Option<ChannelId>) -> Workspace {
        let OrgView { org, channels, members, notice_seq, threads, receipts: _, members_mention_all } = view;
        #[cfg(not(feature = "hydrate"))]
        let _ = notice_seq;
        let ws = Workspace {
            slug: StoredValue::new(org.slug.clone()),
            me: me.map(|u| u.id),
            role: RwSignal::new(org.role),
            unread: Unread::new(&channels),
            threads: Threads::new(&threads),
            members_mention_all,
            channels: RwSignal::new(channels),
            members: RwSignal::new(members),
            online: RwSignal::new(HashSet::new()),
            open,
            #[cfg(feature = "hydrate")]
            live: following::Live::connect(&org.slug, notice_seq),
        };
        provide_context(ws);
        #[cfg(feature = "hydrate")]
        following::follow_all(ws);
        ws
    }

    /// A member's name by id (`None` for someone no longer in it).
    pub(crate) fn name_of(&self, id: UserId) -> Option<String> {
        self.members.with(|ms| ms.iter().find(|m| m.id == id).map(|m| m.username.clone()))
    }

    /// What to call a channel or conversation here.
    pub(crate) fn title(&self, channel: &Channel) -> String {
        channel.title(self.me, |id| self.name_of(id))
    }

    /// Adds a channel that appeared to the list, once, in its place.
    pub(crate) fn add_channel(&self, channel: Channel) {
        self.channels.update(|all| add_in_place(all, channel));
    }

    /// The organization's live connection.
    #[cfg(feature = "hydrate")]
    pub(crate) fn live(&self) -> crate::live::LiveClient {
        self.live.client.get_value()
    }

    /// Has the open channel's chat hear every live event, after the workspace.
    #[cfg(feature = "hydrate")]
    pub(crate) fn on_live(&self, f: impl Fn(crate::live::LiveEvent) + 'static) {
        self.live.chat.set_value(Some(std::rc::Rc::new(f)));
    }
}

/// Puts `channel` in a list sorted by name, unless it is there already.
fn add_in_place(all: &mut Vec<Channel>, channel: Channel) {
    if all.iter().any(|c| c.id == channel.id) {
        return;
    }
    let at = all.iter().position(|c| c.name > channel.name).unwrap_or(all.len());
    all.insert(at, channel);
}

/// Applies a batch of presence changes to who is online.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn apply_presence(online: &mut HashSet<UserId>, batch: events::PresenceChanges) {
    for change in batch.changes {
        if change.online {
            online.insert(change.user_id);
        } else {
            online.remove(&change.user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ChannelKind;

    fn channel(id: ChannelId, name: &str) -> Channel {
        Channel {
            id,
            name: name.into(),
            kind: ChannelKind::Public,
            joined: false,
            last_seq: 0,
            last_read_seq: 0,
            unread: 0,
            mentions: 0,
            people: Vec::new(),
        }
    }

    #[test]
    fn a_channel_that_appears_is_listed_once_in_its_place() {
        let mut all = vec![channel(1, "alpha"), channel(2, "gamma")];
        add_in_place(&mut all, channel(3, "beta"));
        add_in_place(&mut all, channel(3, "beta"));
        add_in_place(&mut all, channel(4, "zeta"));
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["alpha", "beta", "gamma", "zeta"]);
    }

    #[test]
    fn presence_batches_say_where_each_stands_now() {
        let mut online: HashSet<UserId> = [1, 2].into_iter().collect();
        let change = |user_id, online| events::Presence { user_id, online };
        let batch = events::PresenceChanges { changes: vec![change(2, false), change(3, true), change(3, true)] };
        apply_presence(&mut online, batch.clone());
        apply_presence(&mut online, batch);
        assert_eq!(online, [1, 3].into_iter().collect(), "hearing a batch twice changes nothing");
    }
}
