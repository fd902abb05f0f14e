//! The files a message carries: pictures shown small (their thumbnail, or
//! themselves when small), opening in full in a viewer over the page (in
//! a new tab before the page's script has loaded); other files as links
//! that download them, with their size.

use leptos::prelude::*;

use crate::protocol::Attachment;

/// A thumbnail fits in this box (pixels), as the server makes them.
const BOX: (i64, i64) = (480, 360);

/// `width` × `height` scaled to fit the thumbnail box, never enlarged.
fn fitted((width, height): (i64, i64)) -> (i64, i64) {
    let (w, h) = (width.max(1), height.max(1));
    if w <= BOX.0 && h <= BOX.1 {
        return (w, h);
    }
    if w * BOX.1 >= h * BOX.0 { (BOX.0, (h * BOX.0 / w).max(1)) } else { ((w * BOX.1 / h).max(1), BOX.1) }
}

/// The files of a message in organization `slug`.
/// The picture open in the chat's viewer (its address and name): one per
/// chat, so that it stays open while the messages around it change.
#[derive(Clone, Copy)]
pub(super) struct Viewing(pub(super) RwSignal<Option<(String, String)>>);

/// The chat's picture viewer, shown while a picture is open.
#[component]
pub(super) fn PictureViewer(viewing: Viewing) -> impl IntoView {
    move || viewing.0.get().map(|(url, name)| view! { <Viewer url name viewing=viewing.0 /> })
}

#[component]
pub(super) fn Attachments(slug: String, files: Vec<Attachment>) -> impl IntoView {
    let viewing = use_context::<Viewing>().map_or_else(|| RwSignal::new(None), |v| v.0);
    let items = files
        .into_iter()
        .map(|f| {
            let url = format!("/api/files/{slug}/{}", f.id);
            match f.image {
                Some(size) => {
                    let (width, height) = fitted(size);
                    let src = if f.thumbnail { format!("{url}/thumbnail") } else { url.clone() };
                    let label = format!("{} (open in full)", f.name);
                    let open = (url.clone(), f.name.clone());
                    let on_click = move |ev: leptos::ev::MouseEvent| {
                        // A new tab when asked for one; the viewer otherwise.
                        if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
                            ev.prevent_default();
                            viewing.set(Some(open.clone()));
                        }
                    };
                    view! {
                        <li class="picture">
                            <a href=url target="_blank" rel="noopener" aria-label=label on:click=on_click>
                                <img src=src alt=f.name width=width height=height loading="lazy" />
                            </a>
                        </li>
                    }
                    .into_any()
                }
                None => {
                    let size = confab_core::rules::human_size(f.size.max(0) as u64);
                    view! {
                        <li class="file">
                            <a href=url download=f.name.clone()>
                                <span class="file-name">{f.name.clone()}</span>
                                <span class="file-size">{size}</span>
                            </a>
                        </li>
                    }
                    .into_any()
                }
            }
        })
        .collect::<Vec<_>>();
    view! { <ul class="attachments" aria-label="Files">{items}</ul> }
}

/// A picture in full over the page, with a way to save it; Escape, the
/// close button or a click beside it closes it.
#[component]
fn Viewer(url: String, name: String, viewing: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let close_button = NodeRef::<leptos::html::Button>::new();
    // Focus goes to the viewer, so that Escape closes it at once.
    Effect::new(move |_| {
        if let Some(button) = close_button.get() {
            let _ = button.focus();
        }
    });
    let close = move || viewing.set(None);
    let label = format!("Picture: {name}");
    view! {
        <div
            class="viewer"
            role="dialog"
            aria-modal="true"
            aria-label=label
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    close();
                }
            }
            on:click=move |_| close()
        >
            <figure on:click=|ev| ev.stop_propagation()>
                <img src=url.clone() alt=name.clone() />
                <figcaption>
                    <span class="file-name">{name.clone()}</span>
                    <a href=url download=name.clone()>"Download"</a>
                    <button type="button" class="secondary" node_ref=close_button on:click=move |_| close()>
                        "Close"
                    </button>
                </figcaption>
            </figure>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::fitted;

    #[test]
    fn pictures_fit_the_box_keeping_their_shape() {
        assert_eq!(fitted((1200, 800)), (480, 320));
        assert_eq!(fitted((900, 1800)), (180, 360));
        assert_eq!(fitted((32, 32)), (32, 32));
        assert_eq!(fitted((0, 0)), (1, 1));
    }
}
