//! The sidebar's members: who is in the organization, who is online, and
//! where a direct conversation starts (with one person, or a few at once).

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::error_note::{ActionError, action_result};
use crate::api::channels::OpenDirect;
use crate::protocol::{MAX_DIRECT_PEOPLE, Role};
use crate::state::workspace::Workspace;

#[component]
pub(crate) fn MemberList() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let open = ServerAction::<OpenDirect>::new();
    let group = ServerAction::<OpenDirect>::new();
    let slug = ws.slug.get_value();
    let rows = move || {
        ws.members
            .get()
            .into_iter()
            .map(|m| {
                        let id = m.id;
                        let online = move || ws.online.with(|set| set.contains(&id));
                        let me = ws.me == Some(id);
                        let role = (m.role != Role::Member).then(|| view! { <span class="role">{m.role.as_str()}</span> });
                        let name = m.username.clone();
                        let write = (!me).then(move || {
                            let label = format!("Message {name}");
                            view! {
                                <ActionForm action=open attr:class="inline" attr:aria-label=label>
                                    <input type="hidden" name="slug" value=ws.slug.get_value() />
                                    <input type="hidden" name="usernames[0]" value=name.clone() />
                                    <button type="submit" class="link-button">"Message"</button>
                                </ActionForm>
                            }
                        });
                        view! {
                            <li class="member" data-user-id=id data-online=move || online().to_string()>
                                <span class="presence" class:online=online aria-label=move || if online() { "online" } else { "offline" }></span>
                                <span class="member-name">{m.username.clone()} {me.then_some(" (you)")}</span>
                                {role}
                                {write}
                            </li>
                        }
            })
            .collect_view()
    };
    // A few people at once: every member but oneself, to tick.
    let choices = move || {
        ws.members.with(|members| {
            members
                .iter()
                .filter(|m| ws.me != Some(m.id))
                .enumerate()
                .map(|(i, m)| {
                    view! {
                        <label class="choice">
                            <input type="checkbox" name=format!("usernames[{i}]") value=m.username.clone() />
                            {m.username.clone()}
                        </label>
                    }
                })
                .collect_view()
        })
    };
    let online_count = move || ws.online.with(|set| set.len());
    view! {
        <section class="sidebar-section" aria-label="Members">
            <h2 class="sidebar-title">
                "Members" <span class="muted">{move || format!(" · {} online", online_count())}</span>
            </h2>
            <ul class="member-list">{rows}</ul>
            <ActionError result=action_result(open) />
            <details class="group-form">
                <summary>"Group conversation"</summary>
                <ActionForm action=group attr:class="stack compact" attr:aria-label="Start a group conversation">
                    <input type="hidden" name="slug" value=slug />
                    <fieldset class="choices">
                        <legend class="muted small">{format!("Up to {} people, you included", MAX_DIRECT_PEOPLE)}</legend>
                        {choices}
                    </fieldset>
                    <button type="submit" disabled=move || group.pending().get()>"Start"</button>
                    <ActionError result=action_result(group) />
                </ActionForm>
            </details>
        </section>
    }
}
