//! The files a message carries: pictures shown small (their thumbnail, or
//! themselves when small), opening in full in a new tab; other files as
//! links that download them, with their size.

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
#[component]
pub(super) fn Attachments(slug: String, files: Vec<Attachment>) -> impl IntoView {
    let items = files
        .into_iter()
        .map(|f| {
            let url = format!("/api/files/{slug}/{}", f.id);
            match f.image {
                Some(size) => {
                    let (width, height) = fitted(size);
                    let src = if f.thumbnail { format!("{url}/thumbnail") } else { url.clone() };
                    let label = format!("{} (open in full)", f.name);
                    view! {
                        <li class="picture">
                            <a href=url target="_blank" rel="noopener" aria-label=label>
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
