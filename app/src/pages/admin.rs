//! `/o/<slug>/admin`: the organization's people with their roles, for its
//! owners and admins to change roles and remove people, its owners' setting
//! of read receipts and mentions, what it keeps in files, and its audit log. Rendered on the
//! server and made of plain forms, so it works before the wasm has loaded;
//! the server decides what each change may do (`access::set_role`,
//! `access::remove_member`), this page only leaves out what would be refused.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::orgs::{RemoveMember, SetRole, audit_log, file_storage, org};
use crate::api::receipts::{SetMentionPolicy, SetReadReceipts};
use crate::components::error_note::{ActionError, PageError, action_result};
use crate::components::session::use_session;
use crate::components::workspace::OrgWorkspace;
use crate::errors::ApiError;
use crate::protocol::{AuditEntry, Member, OrgStorage, OrgView, ReceiptPolicy, Role, User};
use crate::time::iso_utc;

const ROLES: [Role; 4] = [Role::Owner, Role::Admin, Role::Supervisor, Role::Member];

#[component]
pub(crate) fn AdminPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let session = use_session();
    let set_role = ServerAction::<SetRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let receipts = ServerAction::<SetReadReceipts>::new();
    let mentions = ServerAction::<SetMentionPolicy>::new();
    let settings = move || (receipts.version().get(), mentions.version().get());
    let view_res = Resource::new(
        move || (slug(), set_role.version().get(), remove.version().get(), settings()),
        |(slug, _, _, _)| org(slug),
    );
    // Made here, not inside the Suspend below, so that hydrating reads what
    // the server sent instead of fetching it again.
    let audit = Resource::new(
        move || (slug(), set_role.version().get(), remove.version().get(), settings()),
        move |(slug, _, _, _)| async move {
            // Asked for only by those the page's own resource says may read it.
            let allowed = view_res.await.is_ok_and(|v| v.org.role.manages_people());
            if allowed { Some(audit_log(slug, None, Some(100)).await) } else { None }
        },
    );
    let storage = Resource::new(slug, move |slug| async move {
        // Asked for only by owners, who may see it.
        let owner = view_res.await.is_ok_and(|v| v.org.role == Role::Owner);
        if owner { file_storage(slug).await.ok() } else { None }
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await.ok().flatten();
                let storage = storage.await;
                match view_res.await {
                    Ok(v) => view! { <People view=v me=me set_role remove receipts mentions audit storage /> }.into_any(),
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn People(
    view: OrgView,
    me: Option<User>,
    set_role: ServerAction<SetRole>,
    remove: ServerAction<RemoveMember>,
    receipts: ServerAction<SetReadReceipts>,
    mentions: ServerAction<SetMentionPolicy>,
    audit: Resource<Option<Result<Vec<AuditEntry>, ApiError>>>,
    storage: Option<OrgStorage>,
) -> impl IntoView {
    let org = view.org.clone();
    let mut members = view.members.clone();
    members.sort_by_key(|m| (ROLES.iter().position(|r| *r == m.role), m.username.to_lowercase()));
    let actor = org.role;
    let content = if actor.manages_people() {
        let rows = members
            .into_iter()
            .map(|member| view! { <PersonRow slug=org.slug.clone() member actor me=me.clone() set_role remove /> })
            .collect_view();
        view! {
            <table class="people" aria-label="People and their roles">
                <thead>
                    <tr><th scope="col">"Person"</th><th scope="col">"Role"</th><th scope="col"><span class="visually-hidden">"Remove"</span></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <ActionError result=action_result(set_role) />
            <ActionError result=action_result(remove) />
            <p class="muted small">
                "Supervisors, admins and owners see supervisor channels; members do not learn they exist. "
                "A change takes effect at once: the person's open pages reconnect with what they may now see."
            </p>
            {(actor == Role::Owner).then(|| view! {
                <ReceiptSettings slug=org.slug.clone() policy=view.receipts action=receipts />
                <MentionSettings slug=org.slug.clone() allowed=view.members_mention_all action=mentions />
            })}
            {storage.map(|storage| view! { <FilesKept storage /> })}
            <AuditLog entries=audit />
        }
        .into_any()
    } else {
        view! { <p class="form-error" role="alert">"Only the organization's owners and admins manage its people."</p> }
            .into_any()
    };
    view! {
        <Title text=format!("People · {} · Confab", org.name) />
        <OrgWorkspace view=view me=me>
            <section class="pane">
                <header class="pane-header">
                    <h1>"People"</h1>
                    <p class="muted"><a href=format!("/o/{}", org.slug)>{org.name.clone()}</a> " · you are " {org.role.as_str()}</p>
                </header>
                {content}
            </section>
        </OrgWorkspace>
    }
}

/// The owners' setting of read receipts: on or off, and in channels of how
/// many people at most.
#[component]
fn ReceiptSettings(slug: String, policy: ReceiptPolicy, action: ServerAction<SetReadReceipts>) -> impl IntoView {
    view! {
        <section class="settings" aria-label="Read receipts">
            <h2>"Read receipts"</h2>
            <ActionForm action attr:class="stack compact" attr:aria-label="Read receipts settings">
                <input type="hidden" name="slug" value=slug />
                <label class="check">
                    <input type="checkbox" name="on" value="true" checked=policy.on />
                    "Show who has read a message in direct conversations and small channels"
                </label>
                <label for="receipts-up-to">"In channels of at most this many people"</label>
                <input id="receipts-up-to" name="up_to" type="number" min="2" max="100" value=policy.up_to.to_string() />
                <button type="submit" class="secondary">"Save"</button>
                <ActionError result=action_result(action) />
            </ActionForm>
            <p class="muted small">"Supervisor channels always show them."</p>
        </section>
    }
}

/// What the organization keeps in files, for its owners.
#[component]
fn FilesKept(storage: OrgStorage) -> impl IntoView {
    let used = confab_core::rules::human_size(storage.used_bytes.max(0) as u64);
    let max = confab_core::rules::human_size(storage.max_upload_bytes);
    view! {
        <section class="settings" aria-label="Files">
            <h2>"Files"</h2>
            <p>{used} " kept in files sent here (and uploads not sent yet)."</p>
            <p class="muted small">"One file may be at most " {max} "."</p>
        </section>
    }
}

/// The owners' setting of who may mention everyone in a channel.
#[component]
fn MentionSettings(slug: String, allowed: bool, action: ServerAction<SetMentionPolicy>) -> impl IntoView {
    view! {
        <section class="settings" aria-label="Mentions">
            <h2>"Mentions"</h2>
            <ActionForm action attr:class="stack compact" attr:aria-label="Mention settings">
                <input type="hidden" name="slug" value=slug />
                <label class="check">
                    <input type="checkbox" name="allowed" value="true" checked=allowed />
                    "Members may mention everyone in a channel with @channel and @here"
                </label>
                <button type="submit" class="secondary">"Save"</button>
                <ActionError result=action_result(action) />
            </ActionForm>
            <p class="muted small">"Owners and admins always may."</p>
        </section>
    }
}

/// One person: their role, a form to change it and one to remove them,
/// where the signed-in person may.
#[component]
fn PersonRow(
    slug: String,
    member: Member,
    actor: Role,
    me: Option<User>,
    set_role: ServerAction<SetRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    // An admin neither makes owners nor touches them.
    let may_change = actor == Role::Owner || member.role != Role::Owner;
    let is_me = me.as_ref().is_some_and(|u| u.id == member.id);
    let name = member.username.clone();
    let select_id = format!("role-{}", member.id);
    let role_form = if may_change {
        let options = ROLES
            .into_iter()
            .filter(|r| actor == Role::Owner || *r != Role::Owner)
            .map(|r| view! { <option value=r.as_str() selected=r == member.role>{r.as_str()}</option> })
            .collect_view();
        let (slug, name) = (slug.clone(), name.clone());
        let (label, aria) = (format!("Role of {name}"), format!("Change the role of {name}"));
        view! {
            <ActionForm action=set_role attr:class="inline row" attr:aria-label=aria>
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="username" value=name.clone() />
                <label for=select_id.clone() class="visually-hidden">{label}</label>
                <select id=select_id name="role">{options}</select>
                <button type="submit" class="secondary">"Change"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span class="role">{member.role.as_str()}</span> }.into_any()
    };
    let remove_form = (may_change && !is_me).then(|| {
        let (name, label) = (name.clone(), format!("Remove {name}"));
        view! {
            <ActionForm action=remove attr:class="inline" attr:aria-label=label>
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="username" value=name />
                <button type="submit" class="secondary danger">"Remove"</button>
            </ActionForm>
        }
    });
    view! {
        <tr data-username=name.clone()>
            <td>{name.clone()} {is_me.then_some(" (you)")}</td>
            <td>{role_form}</td>
            <td>{remove_form}</td>
        </tr>
    }
}

/// The newest entries of the organization's audit log.
#[component]
fn AuditLog(entries: Resource<Option<Result<Vec<AuditEntry>, ApiError>>>) -> impl IntoView {
    view! {
        <section aria-label="Audit log">
            <h2>"Audit log"</h2>
            <p class="muted small">"Sign-ins, invites, joins, roles, removals and restricted channels: who, when and from where."</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"Nothing yet."</p> }.into_any(),
                        Some(Ok(list)) => view! { <AuditTable entries=list /> }.into_any(),
                        Some(Err(e)) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    let rows = entries
        .into_iter()
        .map(|e| {
            let when = iso_utc(e.at);
            view! {
                <tr data-action=e.action.as_str()>
                    <td><time datetime=when.clone()>{when.clone()}</time></td>
                    <td>{e.actor}</td>
                    <td>{e.action.in_words()} " " {e.subject}</td>
                    <td>{e.detail}</td>
                    <td>{e.address.unwrap_or_else(|| "—".to_owned())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="people audit">
            <thead>
                <tr><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Did"</th><th scope="col">"Details"</th><th scope="col">"From"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
