//! What a search answers: the messages found, each with where it is and a
//! snippet of its text in pieces (the searched words marked), so that the
//! browser shows them without ever reading text as HTML.

use serde::{Deserialize, Serialize};

use super::ChannelKind;

/// A piece of a snippet: a searched word (`hit`) or the text around it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// A message found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub channel_id: i64,
    /// The channel's name (a direct conversation's, as its URL names it).
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub seq: i64,
    pub author_id: i64,
    pub author: String,
    /// When it was sent, ms since the epoch.
    pub sent_at: i64,
    /// The thread's root `seq`, for a reply in a thread.
    pub thread_of: Option<i64>,
    pub snippet: Vec<SnippetPart>,
}

/// A page of what a search found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Words left out of the search (shorter than three characters).
    pub ignored: Vec<String>,
    /// Whether the next page (`offset` + the hits here) has more.
    pub more: bool,
}
