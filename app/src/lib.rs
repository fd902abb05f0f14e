//! Confab's application crate: everything both the server and the browser compile.
//!
//! - [`protocol`], [`errors`]: the wire types and the one error type, shared
//!   by both sides. The input rules both sides apply are `confab_core::rules`
//!   (the core crate without its `server` feature builds for the browser).
//! - [`api`]: server functions (fixed paths under `/api/`).
//! - [`pages`] and [`components`]: what a person sees; rendered on the server,
//!   hydrated in the browser. [`state`]: what the views show, apart from
//!   them (a channel's timeline, unread counts, an organization's workspace).
//! - [`markdown`]: a message's text as the HTML people read, the same on
//!   both sides.
//! - [`live`] (browser only): the Socket.IO v5 client over the browser's WebSocket.
//! - [`csp`] (server only): each page's Content-Security-Policy. The server
//!   functions call the service core (`confab_core::Service`) directly,
//!   through `api::ServerContext`, and map its results to the wire types.

#![recursion_limit = "256"]

pub mod api;
// Leptos's `#[component]` makes the props it generates `pub`, whatever the
// component's own visibility.
#[allow(unreachable_pub)]
mod components;
#[cfg(feature = "ssr")]
mod csp;
pub mod errors;
#[cfg(feature = "hydrate")]
mod live;
pub mod markdown;
// The outbox and the views' state are the browser's; the server compiles
// them too (for their tests), and uses only part of them.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod outbox;
#[allow(unreachable_pub)]
mod pages;
pub mod protocol;
#[cfg(feature = "hydrate")]
mod push_client;
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod state;
mod time;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icon-192.png" />
                <meta name="theme-color" content="#3b5bdb" />
                <HashedStylesheet id="leptos" options=options.clone() />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: routes to pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::session::Session::provide();
    // Marks the page once the wasm has taken over (tests wait for it). A
    // task later, not at once: the page's Suspense content hydrates from its
    // serialized resources a tick after the shell, and a click before that
    // (an action changing a resource's source) broke hydration.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        set_timeout(
            || {
                if let Some(body) = document().body() {
                    let _ = body.set_attribute("data-hydrated", "true");
                }
            },
            std::time::Duration::ZERO,
        );
    });
    view! {
        <Title text="Confab" />
        <Router>
            <components::layout::Header />
            <main class="main">
                // In-order streaming: each page arrives complete, so it reads
                // and its forms work even before (or without) the wasm.
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") ssr=SsrMode::InOrder view=pages::home::HomePage />
                    <Route path=path!("/invite/:token") ssr=SsrMode::InOrder view=pages::invite::InvitePage />
                    <Route path=path!("/o/:slug") ssr=SsrMode::InOrder view=pages::org::OrgPage />
                    <Route path=path!("/o/:slug/c/:channel") ssr=SsrMode::InOrder view=pages::channel::ChannelPage />
                    <Route path=path!("/o/:slug/admin") ssr=SsrMode::InOrder view=pages::admin::AdminPage />
                    <Route path=path!("/o/:slug/threads") ssr=SsrMode::InOrder view=pages::threads::ThreadsPage />
                    <Route path=path!("/o/:slug/mentions") ssr=SsrMode::InOrder view=pages::mentions::MentionsPage />
                    <Route path=path!("/o/:slug/search") ssr=SsrMode::InOrder view=pages::search::SearchPage />
                    <Route path=path!("/tokens") ssr=SsrMode::InOrder view=pages::tokens::TokensPage />
                    <Route path=path!("/notifications") ssr=SsrMode::InOrder view=pages::notifications::NotificationsPage />
                </Routes>
            </main>
        </Router>
    }
}
