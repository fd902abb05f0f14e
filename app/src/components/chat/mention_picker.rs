//! Completing `@names` while typing: the members (and, for owners and
//! admins, `@channel` and `@here`) whose name starts with the `@` word at
//! the end of the draft, picked with the arrow keys and Tab or Enter, or by
//! pointing.

use leptos::prelude::*;

use crate::state::workspace::Workspace;
use confab_core::mentions::typing_mention;

/// The most names suggested at once.
const MOST: usize = 6;

/// The suggestions for a draft and which one is chosen.
#[derive(Clone, Copy)]
pub(super) struct Suggest {
    draft: RwSignal<String>,
    chosen: RwSignal<usize>,
    /// Escape pressed: nothing is suggested until the draft changes.
    dismissed: RwSignal<bool>,
    names: Memo<Vec<String>>,
}

impl Suggest {
    pub(super) fn new(draft: RwSignal<String>) -> Self {
        let ws = use_context::<Workspace>();
        let dismissed = RwSignal::new(false);
        let names = Memo::new(move |_| {
            let Some(ws) = ws else { return Vec::new() };
            draft.with(|d| match typing_mention(d) {
                Some(prefix) if !dismissed.get() => candidates(ws, prefix),
                _ => Vec::new(),
            })
        });
        Suggest { draft, chosen: RwSignal::new(0), dismissed, names }
    }

    /// The draft changed (typed): suggestions show again.
    pub(super) fn typed(&self) {
        self.dismissed.set(false);
        self.chosen.set(0);
    }

    /// Handles a key of the composer; true if it was the picker's.
    pub(super) fn key(&self, key: &str) -> bool {
        let count = self.names.with_untracked(Vec::len);
        if count == 0 {
            return false;
        }
        match key {
            "ArrowDown" => self.chosen.update(|c| *c = (*c + 1) % count),
            "ArrowUp" => self.chosen.update(|c| *c = (*c + count - 1) % count),
            "Tab" | "Enter" => {
                let name = self.names.with_untracked(|n| n.get(self.chosen.get_untracked()).cloned());
                if let Some(name) = name {
                    self.complete(&name);
                }
            }
            "Escape" => self.dismissed.set(true),
            _ => return false,
        }
        true
    }

    fn complete(&self, name: &str) {
        self.draft.update(|d| {
            if let Some(at) = d.rfind('@') {
                d.truncate(at);
                d.push('@');
                d.push_str(name);
                d.push(' ');
            }
        });
        self.chosen.set(0);
    }
}

/// Who to suggest for `prefix`: members by name, then `channel` and `here`
/// for those who may use them.
fn candidates(ws: Workspace, prefix: &str) -> Vec<String> {
    let prefix = prefix.to_ascii_lowercase();
    let mut names: Vec<String> = ws.members.with(|ms| {
        ms.iter()
            .filter(|m| Some(m.id) != ws.me && m.username.to_ascii_lowercase().starts_with(&prefix))
            .map(|m| m.username.clone())
            .collect()
    });
    names.sort_by_key(|n| n.to_ascii_lowercase());
    if ws.role.get().manages_people() || ws.members_mention_all {
        names.extend(["channel", "here"].iter().filter(|n| n.starts_with(&prefix)).map(|n| (*n).to_owned()));
    }
    names.truncate(MOST);
    names
}

/// The list of suggestions under the composer.
#[component]
pub(super) fn MentionPicker(suggest: Suggest) -> impl IntoView {
    let Suggest { names, chosen, .. } = suggest;
    view! {
        <Show when=move || names.with(|n| !n.is_empty())>
            <ul class="mention-picker" role="listbox" aria-label="People to mention">
                {move || {
                    names
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(i, name)| {
                            let pick = name.clone();
                            view! {
                                <li
                                    role="option"
                                    aria-selected=move || (chosen.get() == i).to_string()
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        suggest.complete(&pick);
                                    }
                                >
                                    "@"{name}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </Show>
    }
}
