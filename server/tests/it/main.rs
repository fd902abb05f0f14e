//! The server's integration tests, in one test binary: each module starts
//! real servers (each with a database of its own: SQLite in a temporary
//! folder, or a fresh database on the PostgreSQL server that
//! `CONFAB_TEST_POSTGRES` names) on ephemeral ports and talks to them over
//! real sockets: HTTP for the server functions, WebSockets for the live
//! stream (Confab's Rust Socket.IO client, and a stock Node one).
//!
//! A few tests need a process of their own and are test binaries of their
//! own, each saying why in its first lines: `pages.rs` (page rendering),
//! `flood_memory.rs`, `event_flood_memory.rs` and `stalled_memory.rs` (the
//! process's memory), `stop_answers.rs` (the process's tracing subscriber),
//! `crash_recovery.rs` (a server process killed under load).

#[path = "../support/mod.rs"]
mod support;

mod accounts;
mod api_tokens;
mod audit;
mod cluster_feed;
mod database_restart;
mod direct_messages;
mod files;
mod first_bot;
mod isolation;
mod live;
mod loadgen_smoke;
mod mentions;
mod message_deletion;
mod message_edits;
mod notices;
mod ordered_delivery;
mod orgs;
mod pins;
mod presence;
mod push;
mod reactions;
mod read_cursors;
mod receipts;
mod roles;
mod search;
mod security;
mod shared_database;
mod single_process;
mod static_files;
mod stock_client;
mod threads;
