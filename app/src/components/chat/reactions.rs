//! A message's reactions: each emoji with how many put it there (pressed
//! when one of them is the viewer; pressing it adds or takes back theirs),
//! and a picker to add another, searched by name, opened by the button
//! among the message's actions ([`AddReaction`]).

use leptos::prelude::*;

use crate::protocol::{Reaction, UserId};

/// How many emoji the picker shows at once.
const SHOWN: usize = 48;

/// The button among a message's actions that opens its picker.
#[component]
pub(super) fn AddReaction(picking: RwSignal<bool>) -> impl IntoView {
    view! {
        <button
            type="button"
            class="link-button add-reaction"
            aria-label="Add a reaction"
            aria-expanded=move || picking.get().to_string()
            on:click=move |_| picking.update(|p| *p = !*p)
        >
            "☺+"
        </button>
    }
}

/// The reactions of a message, and its picker while `picking`.
/// `on_toggle` gets an emoji and whether to add it (else take it back).
#[component]
pub(super) fn Reactions(
    reactions: Vec<Reaction>,
    me: Option<UserId>,
    on_toggle: Callback<(String, bool)>,
    picking: RwSignal<bool>,
) -> impl IntoView {
    let chips = reactions
        .into_iter()
        .map(|r| {
            let mine = me.is_some_and(|me| r.user_ids.contains(&me));
            let count = r.user_ids.len();
            let label = if mine {
                format!("{} {count}: take back your reaction", r.emoji)
            } else {
                format!("{} {count}: react with {}", r.emoji, r.emoji)
            };
            let emoji = r.emoji.clone();
            view! {
                <button
                    type="button"
                    class="reaction"
                    class:mine=mine
                    aria-pressed=mine.to_string()
                    aria-label=label
                    on:click=move |_| on_toggle.run((emoji.clone(), !mine))
                >
                    {r.emoji}
                    " "
                    {count}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="reactions">
            {chips}
            {move || {
                picking
                    .get()
                    .then(|| {
                        let pick = Callback::new(move |emoji: String| {
                            picking.set(false);
                            on_toggle.run((emoji, true));
                        });
                        view! { <Picker pick close=Callback::new(move |()| picking.set(false)) /> }
                    })
            }}
        </div>
    }
}

/// The emoji a search finds, best first: named exactly so, then names
/// that start so, then names that hold it (in Unicode's order within each).
fn matching(query: &str) -> Vec<&'static emojis::Emoji> {
    let rank = |e: &emojis::Emoji| {
        let words = std::iter::once(e.name()).chain(e.shortcodes());
        let mut best = None;
        for word in words {
            let r = if word == query {
                0
            } else if word.starts_with(query) {
                1
            } else if word.contains(query) {
                2
            } else {
                continue;
            };
            best = Some(best.map_or(r, |b: u8| b.min(r)));
        }
        best
    };
    let mut found: Vec<_> = emojis::iter().filter_map(|e| rank(e).map(|r| (r, e))).collect();
    found.sort_by_key(|(r, _)| *r);
    found.into_iter().map(|(_, e)| e).collect()
}

/// Every emoji, searched by name; Enter picks the first found, Escape closes it.
#[component]
fn Picker(pick: Callback<String>, close: Callback<()>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let shown = move || {
        let q = query.get().trim().to_lowercase();
        matching(&q)
            .into_iter()
            .take(SHOWN)
            .map(|e| {
                let (emoji, name) = (e.as_str().to_owned(), e.name().to_owned());
                view! {
                    <button type="button" class="emoji" aria-label=name title=e.name() on:click=move |_| pick.run(emoji.clone())>
                        {e.as_str()}
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <div
            class="picker"
            role="dialog"
            aria-label="Pick a reaction"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    close.run(());
                }
            }
        >
            <input
                node_ref=input
                type="search"
                aria-label="Search emoji"
                placeholder="Search emoji"
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.is_composing() {
                        ev.prevent_default();
                        let q = query.get_untracked().trim().to_lowercase();
                        if let Some(first) = matching(&q).first() {
                            pick.run(first.as_str().to_owned());
                        }
                    }
                }
            />
            <div class="emoji-grid">{shown}</div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::matching;

    fn first(query: &str) -> Option<&'static str> {
        matching(query).first().map(|e| e.as_str())
    }

    #[test]
    fn a_search_puts_the_emoji_named_so_first() {
        assert_eq!(first("eyes"), Some("👀"));
        assert_eq!(first("thumbs up"), Some("👍"));
        assert_eq!(first("tada"), Some("🎉"));
        assert_eq!(first("no emoji is called this"), None);
        // Names that hold the word still come, after it.
        assert!(matching("eyes").iter().any(|e| e.name() == "smiling face with smiling eyes"));
    }
}
