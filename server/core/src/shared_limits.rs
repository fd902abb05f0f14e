//! Limits that hold across every server of a cluster. Each server keeps its
//! own count of what each person does (a flood is refused there, at no
//! cost); with several servers, a person could spread the same flood over
//! them, so a use case also asks the cluster's count, when there is one
//! (the server crate keeps it in Redis). A count that cannot be asked in
//! time does not stop anyone: the server's own limit still holds.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What every server together counted of failed sign-ins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInRecord {
    /// For each key asked: how many failures, and how long ago the last.
    pub failures: Vec<Option<(u32, Duration)>>,
    /// Whether the account was signed in from the client lately.
    pub known: bool,
}

type Answer<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A count shared by the servers of a cluster.
pub trait SharedLimits: Send + Sync + 'static {
    /// May `user_id` send one more message now, counting what they sent
    /// through every server? `None`: the count could not be asked in time.
    fn message(&self, user_id: i64) -> Answer<'_, Option<bool>>;

    /// The failed sign-ins every server counted under each of `keys`, and
    /// whether `known` is marked. `None`: the count could not be asked in time.
    fn sign_in_record<'a>(&'a self, keys: &'a [String], known: &'a str) -> Answer<'a, Option<SignInRecord>>;

    /// Counts one failed sign-in under each of `keys`; each is forgotten
    /// after `forget_after` without another.
    fn sign_in_failed<'a>(&'a self, keys: &'a [String], forget_after: Duration) -> Answer<'a, ()>;

    /// A sign-in that succeeded: forgets the failures under `forget`, and
    /// marks `known` for `known_for`.
    fn sign_in_succeeded<'a>(&'a self, forget: &'a str, known: &'a str, known_for: Duration) -> Answer<'a, ()>;
}
