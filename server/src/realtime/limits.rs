//! What one live connection may ask of the server: a rate for every kind of
//! client event, a bound on the events it has in flight at once, and the
//! end of a connection that keeps going past them. Every event costs at
//! most a look at these before it is refused (`rate_limited`), so a flood
//! of any event costs the server little, and a connection that floods is
//! closed.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The kinds of client event, as limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `join` and `leave`: a client follows every channel it has joined as
    /// it connects, so bursts are large.
    Rooms,
    /// `read`.
    Read,
    /// `notices`.
    Notices,
    /// `typing` (never answered: over its rate it is dropped).
    Typing,
    /// `open_direct`.
    OpenDirect,
    /// `send` and `edit`: their rate is each person's
    /// (`--messages-per-second`, counted by the service); here only their
    /// place in flight.
    Send,
    /// An event the server does not know.
    Unknown,
}

/// Events a connection may have in flight at once (waiting for the database
/// or a channel's turn): far above what a client waiting for its answers
/// has (the load generator keeps 64 sends unanswered), far below a flood.
const MAX_IN_FLIGHT: usize = 256;

/// A rate of `per_second`, with bursts of `burst`.
fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// Why an event was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Too many of its kind in a short time.
    TooFast,
    /// Too many events of this connection in flight at once.
    TooMany,
}

impl Refusal {
    /// The sentence the client is answered with (`rate_limited`).
    pub(super) fn sentence(self) -> &'static str {
        match self {
            Refusal::TooFast => "This connection is sending that too fast; wait a moment and try again.",
            Refusal::TooMany => "This connection has too many requests waiting; wait for their answers first.",
        }
    }
}

/// One connection's limits; kept in its `Connection`.
pub(super) struct Limits {
    rooms: DefaultDirectRateLimiter,
    read: DefaultDirectRateLimiter,
    notices: DefaultDirectRateLimiter,
    typing: DefaultDirectRateLimiter,
    open_direct: DefaultDirectRateLimiter,
    unknown: DefaultDirectRateLimiter,
    /// Places for events in flight.
    in_flight: Arc<Semaphore>,
    /// Refusals it may earn before it is closed: a client that slows down
    /// when told keeps its connection; one that keeps going loses it.
    refusals: DefaultDirectRateLimiter,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").field("in_flight", &self.in_flight.available_permits()).finish_non_exhaustive()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rooms: RateLimiter::direct(quota(50, 500)),
            read: RateLimiter::direct(quota(10, 60)),
            notices: RateLimiter::direct(quota(5, 30)),
            typing: RateLimiter::direct(quota(2, 10)),
            open_direct: RateLimiter::direct(quota(2, 20)),
            unknown: RateLimiter::direct(quota(1, 10)),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            refusals: RateLimiter::direct(quota(5, 100)),
        }
    }
}

impl Limits {
    /// An event of `kind` may go ahead: its place among those in flight
    /// (given back when dropped), or why not.
    pub(super) fn admit(&self, kind: Kind) -> Result<OwnedSemaphorePermit, Refusal> {
        let rate = match kind {
            Kind::Rooms => Some(&self.rooms),
            Kind::Read => Some(&self.read),
            Kind::Notices => Some(&self.notices),
            Kind::Typing => Some(&self.typing),
            Kind::OpenDirect => Some(&self.open_direct),
            Kind::Send => None,
            Kind::Unknown => Some(&self.unknown),
        };
        if rate.is_some_and(|r| r.check().is_err()) {
            return Err(Refusal::TooFast);
        }
        self.in_flight.clone().try_acquire_owned().map_err(|_| Refusal::TooMany)
    }

    /// Counts a refusal; `true` when the connection has earned more than it
    /// may and is to be closed.
    pub(super) fn refused(&self) -> bool {
        self.refusals.check().is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_goes_through_then_a_flood_is_refused_and_ends_the_connection() {
        let limits = Limits::default();
        let mut permits = Vec::new();
        for _ in 0..20 {
            permits.push(limits.admit(Kind::OpenDirect).expect("within the burst"));
        }
        assert_eq!(limits.admit(Kind::OpenDirect).unwrap_err(), Refusal::TooFast);
        assert!(limits.admit(Kind::Read).is_ok(), "each kind has its own rate");
        let refusals_allowed = (0..1000).take_while(|_| !limits.refused()).count();
        assert!((100..=110).contains(&refusals_allowed), "{refusals_allowed}");
    }

    #[test]
    fn events_in_flight_are_bounded() {
        let limits = Limits::default();
        let held: Vec<_> = (0..MAX_IN_FLIGHT).map(|_| limits.admit(Kind::Rooms).unwrap()).collect();
        assert_eq!(limits.admit(Kind::Rooms).unwrap_err(), Refusal::TooMany);
        drop(held);
        assert!(limits.admit(Kind::Rooms).is_ok(), "places are given back");
    }
}
