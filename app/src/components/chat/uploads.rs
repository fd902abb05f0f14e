//! Files for the next message: picked with the attach button, dropped on
//! the chat or pasted into the composer, each uploaded at once
//! (`/api/upload`, its progress shown), then sent with the message that
//! goes next. A file can be taken off before it is sent.

use leptos::prelude::*;

use crate::protocol::Attachment;

/// Where a file for the next message is.
#[derive(Clone, Debug, PartialEq)]
// Uploads happen in the browser only.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) enum UploadState {
    /// On its way; how much of it (0 to 1).
    Sending(f64),
    /// Uploaded, ready to send.
    Done(Attachment),
    /// Refused or failed, with why.
    Failed(String),
}

/// A file for the next message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Upload {
    key: u64,
    name: String,
    state: UploadState,
}

/// The files for the next message of one channel.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) struct Uploads {
    list: RwSignal<Vec<Upload>>,
    next_key: StoredValue<u64>,
    slug: StoredValue<String>,
    channel: StoredValue<String>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Uploads {
    pub(crate) fn new(slug: String, channel: String) -> Self {
        Uploads {
            list: RwSignal::new(Vec::new()),
            next_key: StoredValue::new(0),
            slug: StoredValue::new(slug),
            channel: StoredValue::new(channel),
        }
    }

    /// The files uploaded, to send; why not, while one is still on its
    /// way or failed.
    pub(crate) fn ready(self) -> Result<Vec<Attachment>, String> {
        self.list.with_untracked(|list| {
            list.iter()
                .map(|u| match &u.state {
                    UploadState::Done(file) => Ok(file.clone()),
                    UploadState::Sending(_) => Err(format!("{} is still uploading; send when it is done.", u.name)),
                    UploadState::Failed(_) => Err(format!("{} could not be uploaded: remove it first.", u.name)),
                })
                .collect()
        })
    }

    /// Forgets them all (they were sent).
    pub(crate) fn clear(self) {
        self.list.set(Vec::new());
    }

    fn set(self, key: u64, state: UploadState) {
        self.list.update(|list| {
            if let Some(u) = list.iter_mut().find(|u| u.key == key) {
                u.state = state;
            }
        });
    }

    fn remove(self, key: u64) {
        self.list.update(|list| list.retain(|u| u.key != key));
    }

    /// Uploads each of `files` (a picker's, a drop's or a paste's).
    #[cfg(feature = "hydrate")]
    pub(crate) fn add(self, files: Option<web_sys::FileList>) {
        let Some(files) = files else { return };
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                self.upload(file);
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn upload(self, file: web_sys::File) {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        // A pasted screenshot has no name of its own.
        let name = match file.name() {
            n if n.is_empty() || n == "image.png" => format!("pasted-{}.png", js_sys::Date::now() as u64),
            n => n,
        };
        self.list.update(|list| list.push(Upload { key, name: name.clone(), state: UploadState::Sending(0.0) }));
        let query = serde_urlencoded::to_string([
            ("slug", self.slug.get_value()),
            ("channel", self.channel.get_value()),
            ("name", name),
        ])
        .unwrap_or_default();
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            self.set(key, UploadState::Failed("This browser cannot upload files.".into()));
            return;
        };
        let content_type = match file.type_() {
            t if t.is_empty() => "application/octet-stream".to_owned(),
            t => t,
        };
        let started = xhr.open_with_async("POST", &format!("/api/upload?{query}"), true).is_ok()
            && xhr.set_request_header("Content-Type", &content_type).is_ok()
            && xhr.set_request_header("Accept", "application/json").is_ok();
        let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                self.set(key, UploadState::Sending((e.loaded() / e.total()).min(1.0)));
            }
        });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        let answered = xhr.clone();
        let on_end = Closure::once_into_js(move || {
            // No more progress to tell.
            if let Ok(upload) = answered.upload() {
                upload.set_onprogress(None);
            }
            drop(on_progress);
            let text = answered.response_text().ok().flatten().unwrap_or_default();
            let state = match answered.status().unwrap_or(0) {
                201 => match serde_json::from_str::<Attachment>(&text) {
                    Ok(file) => UploadState::Done(file),
                    Err(_) => UploadState::Failed("The server's answer could not be read.".into()),
                },
                0 => UploadState::Failed("The upload was cut off; check your connection and try again.".into()),
                _ => UploadState::Failed(
                    serde_json::from_str::<crate::errors::ApiError>(&text)
                        .map(|e| e.message)
                        .unwrap_or_else(|_| "The file could not be uploaded.".into()),
                ),
            };
            self.set(key, state);
        });
        xhr.set_onloadend(Some(on_end.unchecked_ref()));
        if !started || xhr.send_with_opt_blob(Some(&file)).is_err() {
            self.set(key, UploadState::Failed("The file could not be uploaded.".into()));
        }
    }
}

/// The files for the next message, with their progress, each with a button
/// that takes it off.
#[component]
pub(super) fn UploadList(uploads: Uploads) -> impl IntoView {
    let items = move || {
        uploads.list.with(|list| {
            list.iter()
                .map(|u| {
                    let key = u.key;
                    let remove_label = format!("Remove {}", u.name);
                    let state = match &u.state {
                        UploadState::Sending(p) => {
                            let label = format!("Uploading {}", u.name);
                            view! { <progress aria-label=label max="1" value=p.to_string()></progress> }.into_any()
                        }
                        UploadState::Done(file) => {
                            let size = confab_core::rules::human_size(file.size.max(0) as u64);
                            view! { <span class="file-size">{size}</span> }.into_any()
                        }
                        UploadState::Failed(why) => view! { <span class="form-error">{why.clone()}</span> }.into_any(),
                    };
                    view! {
                        <li class="upload">
                            <span class="file-name">{u.name.clone()}</span>
                            {state}
                            <button type="button" class="link-button" aria-label=remove_label on:click=move |_| uploads.remove(key)>
                                "×"
                            </button>
                        </li>
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || uploads.list.with(|l| !l.is_empty())>
            <ul class="uploads" aria-label="Files to send">{items}</ul>
        </Show>
    }
}

/// The button that picks files to send.
#[component]
pub(super) fn AttachButton(uploads: Uploads) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                uploads.add(input.files());
                // The same file may be picked again.
                input.set_value("");
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, uploads);
    };
    view! {
        <label class="attach secondary" title="Attach files">
            <input type="file" multiple class="visually-hidden" aria-label="Attach files" on:change=on_change />
            <span aria-hidden="true">"📎"</span>
        </label>
    }
}
