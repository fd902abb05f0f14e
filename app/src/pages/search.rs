//! `/o/<slug>/search?q=…`: the organization's messages the person may read
//! that hold what they searched for, newest first (or best match first:
//! `order=best`), 20 a page (`offset`), each with where it was said, who
//! said it when, and its text around the words found, marked; a hit opens
//! the message in its place in the channel (or its thread). Plain links and
//! a GET form, so it works before (or without) the wasm too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::orgs::org;
use crate::api::search::search;
use crate::components::error_note::PageError;
use crate::components::session::use_session;
use crate::components::workspace::OrgWorkspace;
use crate::errors::ApiError;
use crate::protocol::search::{SearchHit, SearchResults};
use crate::state::workspace::Workspace;
use crate::time;

/// Hits on one page (as the server pages them).
const PAGE: i64 = 20;

#[component]
pub(crate) fn SearchPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let asked = move || {
        let q = query.read();
        let offset = q.get("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).max(0);
        (q.get("q").unwrap_or_default(), q.get("order").as_deref() == Some("best"), offset)
    };
    let session = use_session();
    let org_res = Resource::new(slug, org);
    let found_res = Resource::new(
        move || (slug(), asked()),
        |(slug, (q, best, offset))| async move {
            if q.trim().is_empty() {
                return Ok::<_, ApiError>(None);
            }
            search(slug, q, Some(best), Some(offset)).await.map(Some)
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (org_view, found, me) = (org_res.await, found_res.await, session.me.await);
                let org_view = match org_view {
                    Ok(o) => o,
                    Err(e) => return view! { <PageError error=e /> }.into_any(),
                };
                let me = me.ok().flatten();
                let (org_name, slug) = (org_view.org.name.clone(), org_view.org.slug.clone());
                let (q, best, offset) = asked();
                // Drawn inside the workspace, whose context the hits read.
                let shown_q = q.clone();
                let results = move || match found.clone() {
                    Ok(None) => view! {
                        <p class="muted">
                            "Words and \"phrases\" are found anywhere in a message, from three characters on. "
                            "Narrow with in:#channel, from:@person, before:2026-12-01, after:2026-12-01, in:thread."
                        </p>
                    }
                    .into_any(),
                    Ok(Some(found)) => view! { <Hits found q=shown_q.clone() best offset /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                };
                view! {
                    <Title text=format!("Search · {org_name} · Confab") />
                    <OrgWorkspace view=org_view me=me>
                        <section class="pane list-pane">
                            <header class="pane-header">
                                <h1>"Search"</h1>
                                <p class="muted"><a href=format!("/o/{slug}")>{org_name.clone()}</a></p>
                            </header>
                            <Form method="GET" action="" attr:class="search-form row" attr:role="search" attr:aria-label="Search messages">
                                <label for="search-q" class="visually-hidden">"Search for"</label>
                                <input id="search-q" type="search" name="q" value=q.clone() maxlength="256" placeholder="Search messages" />
                                <label class="check">
                                    <input type="checkbox" name="order" value="best" checked=best />
                                    "Best match first"
                                </label>
                                <button type="submit">"Search"</button>
                            </Form>
                            {results}
                        </section>
                    </OrgWorkspace>
                }
                .into_any()
            })}
        </Transition>
    }
}

/// A page of hits, and links to the pages around it.
#[component]
fn Hits(found: SearchResults, q: String, best: bool, offset: i64) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let ignored = (!found.ignored.is_empty()).then(|| {
        let words = found.ignored.join(", ");
        view! { <p class="muted small">"Left out (shorter than three characters): "{words}</p> }
    });
    if found.hits.is_empty() {
        return view! {
            {ignored}
            <p class="muted">"Nothing found."</p>
        }
        .into_any();
    }
    let page = |offset: i64| {
        let offset = offset.to_string();
        let mut fields = vec![("q", q.as_str()), ("offset", offset.as_str())];
        if best {
            fields.push(("order", "best"));
        }
        format!("?{}", serde_urlencoded::to_string(fields).unwrap_or_default())
    };
    let newer = (offset > 0).then(|| view! { <a href=page((offset - PAGE).max(0))>"Previous results"</a> });
    // Results go 1000 deep (the server's limit): past that, narrow the search.
    let older = (found.more && offset + PAGE <= 1000).then(|| view! { <a href=page(offset + PAGE)>"More results"</a> });
    let items = found.hits.into_iter().map(|hit| hit_item(&ws, hit)).collect_view();
    view! {
        {ignored}
        <ul class="thread-list search-hits" aria-label="Search results">{items}</ul>
        <nav class="row spread" aria-label="Result pages">{newer}{older}</nav>
    }
    .into_any()
}

fn hit_item(ws: &Workspace, hit: SearchHit) -> impl IntoView + use<> {
    let place = ws
        .channels
        .with_untracked(|all| all.iter().find(|c| c.id == hit.channel_id).map(|c| ws.title(c)))
        .unwrap_or_else(|| format!("#{}", confab_core::rules::channel_label(&hit.channel_name)));
    // A reply opens its thread beside the channel; a message, its place.
    let at = match hit.thread_of {
        Some(root) => format!("?thread={root}"),
        None => format!("?at={}", hit.seq),
    };
    let href = format!("/o/{}/c/{}{at}", ws.slug.get_value(), hit.channel_name);
    let text: String = hit.snippet.iter().map(|p| p.text.as_str()).collect();
    let label = format!("{} in {place}: {text}", hit.author);
    let snippet = hit
        .snippet
        .into_iter()
        .map(|p| if p.hit { view! { <mark>{p.text}</mark> }.into_any() } else { p.text.into_any() })
        .collect_view();
    let sent = hit.sent_at;
    view! {
        <li>
            <a href=href aria-label=label>
                <span class="muted small">
                    {place}" · "<strong>{hit.author}</strong>" · "<time datetime=time::iso_utc(sent)>{time::iso_utc(sent)}</time>
                </span>
                <span class="snippet">{snippet}</span>
            </a>
        </li>
    }
}
