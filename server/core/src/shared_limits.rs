//! Limits that hold across every server of a cluster. Each server keeps its
//! own count of what each person does (a flood is refused there, at no
//! cost); with several servers, a person could spread the same flood over
//! them, so a use case also asks the cluster's count, when there is one
//! (the server crate keeps it in Redis). A count that cannot be asked in
//! time does not stop anyone: the server's own limit still holds.

use std::future::Future;
use std::pin::Pin;

/// A count shared by the servers of a cluster.
pub trait SharedLimits: Send + Sync + 'static {
    /// May `user_id` send one more message now, counting what they sent
    /// through every server? `None`: the count could not be asked in time.
    fn message(&self, user_id: i64) -> Pin<Box<dyn Future<Output = Option<bool>> + Send + '_>>;
}
