//! `/o/<slug>/c/<channel>`: a channel: the sidebar, its history and the live chat.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::channels::{AddToChannel, JoinChannel, LeaveChannel, history};
use crate::api::orgs::org;
use crate::components::chat::Chat;
use crate::components::error_note::{ActionError, PageError, action_result};
use crate::components::session::use_session;
use crate::components::workspace::OrgWorkspace;
use crate::protocol::ChannelKind;

#[component]
pub(crate) fn ChannelPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let channel = move || params.read().get("channel").unwrap_or_default();
    let join = ServerAction::<JoinChannel>::new();
    let leave = ServerAction::<LeaveChannel>::new();
    let add = ServerAction::<AddToChannel>::new();
    let memberships = move || (join.version().get(), leave.version().get());
    // Loaded again with each channel: the sidebar (a new conversation, counts
    // read meanwhile) is as the server has it now.
    let org_res = Resource::new(move || (slug(), channel(), memberships()), |(s, _, _)| org(s));
    let page_res = Resource::new(move || (slug(), channel(), memberships()), |(s, c, _)| history(s, c, None, None));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (org_view, page, me) = (org_res.await, page_res.await, session.me.await);
                let (org_view, page) = match (org_view, page) {
                    (Ok(o), Ok(p)) => (o, p),
                    (Err(e), _) | (_, Err(e)) => return view! { <PageError error=e /> }.into_any(),
                };
                let me = me.ok().flatten();
                let slug = org_view.org.slug.clone();
                let org_name = org_view.org.name.clone();
                let channel = page.channel.clone();
                let title = channel.title(me.as_ref().map(|u| u.id), |id| {
                    org_view.members.iter().find(|m| m.id == id).map(|m| m.username.clone())
                });
                let (form_slug, form_name) = (slug.clone(), channel.name.clone());
                let membership_form = match (channel.kind, channel.joined) {
                    // A direct conversation is kept by all of its people.
                    (ChannelKind::Direct, _) => None,
                    (_, true) => Some(view! {
                        <ActionForm action=leave attr:class="inline" attr:aria-label="Leave channel">
                            <input type="hidden" name="slug" value=form_slug />
                            <input type="hidden" name="channel" value=form_name />
                            <button type="submit" class="secondary">"Leave channel"</button>
                        </ActionForm>
                    }.into_any()),
                    (_, false) => Some(view! {
                        <ActionForm action=join attr:class="inline" attr:aria-label="Join channel">
                            <input type="hidden" name="slug" value=form_slug />
                            <input type="hidden" name="channel" value=form_name />
                            <button type="submit">"Join channel"</button>
                        </ActionForm>
                    }.into_any()),
                };
                // Who sees a restricted channel is decided by hand: its
                // members (private) or those who see it (supervisor) add people.
                let restricted = match channel.kind {
                    ChannelKind::Private => Some("Private: only the people added to it see it."),
                    ChannelKind::Supervisor => Some("Supervisors only: members do not see it."),
                    ChannelKind::Public | ChannelKind::Direct => None,
                };
                let add_form = restricted.map(|note| {
                    let (slug, name) = (slug.clone(), channel.name.clone());
                    view! {
                        <div class="restricted-note row spread">
                            <p class="muted small">{note}</p>
                            <ActionForm action=add attr:class="inline row" attr:aria-label="Add someone to this channel">
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="channel" value=name />
                                <label for="add-person" class="visually-hidden">"Username"</label>
                                <input id="add-person" name="username" placeholder="username" required maxlength="40" />
                                <button type="submit" class="secondary">"Add"</button>
                            </ActionForm>
                        </div>
                    }
                });
                view! {
                    <Title text=format!("{} · {} · Confab", title, org_name) />
                    <OrgWorkspace view=org_view me=me.clone() open=channel.id>
                        <section class="pane chat-pane">
                            <header class="pane-header row spread">
                                <div>
                                    <h1>{title.clone()}</h1>
                                    <p class="muted"><a href=format!("/o/{slug}")>{org_name.clone()}</a></p>
                                </div>
                                {membership_form}
                            </header>
                            <ActionError result=action_result(join) />
                            <ActionError result=action_result(leave) />
                            {add_form}
                            <ActionError result=action_result(add) />
                            <Chat slug=slug page=page me=me />
                        </section>
                    </OrgWorkspace>
                }.into_any()
            })}
        </Transition>
    }
}
