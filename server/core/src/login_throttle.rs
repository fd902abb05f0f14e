//! Slows password guessing: failed sign-ins are counted per account, per
//! client and per account-and-client; past a few free failures each further
//! try must wait, twice as long each time (up to 15 minutes). A right password
//! that comes too early is refused like a wrong one, so guessing gains nothing
//! by hurrying. Counts are forgotten an hour after the last failure.
//!
//! Nobody else can keep an account locked: the account's own total (its
//! failures from anywhere) does not hold back a client it was signed in
//! from in the last 30 days (a known address); that client's own failures,
//! and its failures against any account, still do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client_key::ClientKey;

/// Longest wait between tries.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Quiet time after which an account's or client's failures are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Most keys tracked; past it the oldest quiet ones are forgotten first.
const MAX_KEYS: usize = 100_000;
/// How long a client an account was signed in from stays known to it.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// One account from one client: the usual guessing.
    AccountFromClient(String, ClientKey),
    /// One account from anywhere: guessing spread over many addresses.
    Account(String),
    /// One client against any account: password spraying.
    Client(ClientKey),
}

impl Key {
    /// Failures allowed before waits begin.
    fn free(&self) -> u32 {
        match self {
            Key::AccountFromClient(..) => 5,
            Key::Account(_) => 20,
            Key::Client(_) => 50,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// When the next try may come, given the free failures.
    fn next_try(&self, free: u32) -> Option<Instant> {
        let over = self.count.checked_sub(free).filter(|&over| over > 0)?;
        let wait = Duration::from_secs(1u64 << (over - 1).min(20)).min(MAX_WAIT);
        Some(self.last + wait)
    }
}

/// The counts; share it behind the service.
#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
    /// The clients each account was signed in from, and when last.
    known: Mutex<HashMap<(String, ClientKey), Instant>>,
}

fn keys(username: &str, client: IpAddr) -> [Key; 3] {
    let account = username.trim().to_lowercase();
    let client = ClientKey::of(client);
    [Key::AccountFromClient(account.clone(), client), Key::Account(account), Key::Client(client)]
}

impl LoginThrottle {
    /// `Err(wait)` when a sign-in to `username` from `client` must wait that long.
    pub(crate) fn check(&self, username: &str, client: IpAddr) -> Result<(), Duration> {
        self.check_at(username, client, Instant::now())
    }

    fn check_at(&self, username: &str, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let known = self.is_known(username, client, now);
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys(username, client)
            .iter()
            // Failures from elsewhere do not hold back a known client.
            .filter(|key| !(known && matches!(key, Key::Account(_))))
            .filter_map(|key| failures.get(key)?.next_try(key.free()))
            .map(|at| at.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a wrong password (or unknown name).
    pub(crate) fn failed(&self, username: &str, client: IpAddr) {
        self.failed_at(username, client, Instant::now());
    }

    fn failed_at(&self, username: &str, client: IpAddr, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
            if failures.len() >= MAX_KEYS {
                // Still full: a flood of distinct keys. Keep the newest half.
                let mut lasts: Vec<Instant> = failures.values().map(|f| f.last).collect();
                let (_, median, _) = lasts.select_nth_unstable(MAX_KEYS / 2);
                let median = *median;
                failures.retain(|_, f| f.last >= median);
            }
        }
        for key in keys(username, client) {
            let entry = failures.entry(key).or_insert(Failures { count: 0, last: now });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
        }
    }

    /// A right password: this account's failures from this client are
    /// forgotten (the client's and the account's totals stay), and the
    /// client is known to the account from now on.
    pub(crate) fn succeeded(&self, username: &str, client: IpAddr) {
        self.succeeded_at(username, client, Instant::now());
    }

    fn succeeded_at(&self, username: &str, client: IpAddr, now: Instant) {
        let [from_client, ..] = keys(username, client);
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&from_client);
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_KEYS {
            known.retain(|_, at| now.duration_since(*at) < KNOWN_FOR);
            if known.len() >= MAX_KEYS {
                // Still full: forget the ones signed in longest ago.
                let mut ats: Vec<Instant> = known.values().copied().collect();
                let (_, median, _) = ats.select_nth_unstable(MAX_KEYS / 2);
                let median = *median;
                known.retain(|_, at| *at >= median);
            }
        }
        known.insert((username.trim().to_lowercase(), ClientKey::of(client)), now);
    }

    /// Whether the account was signed in from this client lately.
    fn is_known(&self, username: &str, client: IpAddr, now: Instant) -> bool {
        let key = (username.trim().to_lowercase(), ClientKey::of(client));
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.get(&key).is_some_and(|at| now.duration_since(*at) < KNOWN_FOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn waits_double_after_five_failures() {
        let t = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..5 {
            assert!(t.check_at("ann", HOME, start).is_ok(), "try {i} is free");
            t.failed_at("ann", HOME, start);
        }
        // Five free failures, then 1 s, 2 s, 4 s...
        assert!(t.check_at("ann", HOME, start).is_ok());
        t.failed_at("ann", HOME, start);
        assert_eq!(t.check_at("Ann ", HOME, start), Err(Duration::from_secs(1)));
        assert!(t.check_at("ann", HOME, start + Duration::from_secs(1)).is_ok());
        t.failed_at("ann", HOME, start + Duration::from_secs(1));
        assert_eq!(t.check_at("ann", HOME, start + Duration::from_secs(1)), Err(Duration::from_secs(2)));
        // Another account from the same client, and this one from elsewhere, are not held up yet.
        assert!(t.check_at("bob", HOME, start).is_ok());
        assert!(t.check_at("ann", OTHER, start).is_ok());
        // Forgotten after an hour of quiet.
        assert!(t.check_at("ann", HOME, start + FORGET_AFTER).is_ok());
    }

    #[test]
    fn waits_are_capped_and_success_clears_the_pair() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..40 {
            t.failed_at("ann", HOME, now);
        }
        assert_eq!(t.check_at("ann", HOME, now), Err(MAX_WAIT));
        t.succeeded_at("ann", HOME, now);
        // The pair is cleared; the account as a whole has had 40 failures,
        // which still hold back a client it was never signed in from.
        assert!(t.check_at("ann", HOME, now).is_ok());
        assert!(t.check_at("ann", OTHER, now).is_err());
    }

    /// Failures spread over other addresses lock the account for strangers,
    /// not for a client its owner signed in from; that client's own
    /// failures still count, and it is forgotten after 30 days.
    #[test]
    fn nobody_else_keeps_an_account_locked_for_its_owner() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        t.succeeded_at("ann", HOME, now);
        for i in 0..21u8 {
            let guesser = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i % 5));
            t.failed_at("ann", guesser, now);
        }
        assert!(t.check_at("ann", OTHER, now).is_err(), "a stranger waits");
        assert!(t.check_at("ann", HOME, now).is_ok(), "the owner's known address does not");
        for _ in 0..6 {
            t.failed_at("ann", HOME, now);
        }
        assert!(t.check_at("ann", HOME, now).is_err(), "its own failures still count");
        let later = LoginThrottle::default();
        later.succeeded_at("ann", HOME, now);
        for i in 0..21u8 {
            later.failed_at("ann", IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i % 5)), now + KNOWN_FOR);
        }
        assert!(later.check_at("ann", HOME, now + KNOWN_FOR).is_err(), "known for 30 days only");
    }

    #[test]
    fn spraying_many_accounts_from_one_client_is_slowed() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..51 {
            t.failed_at(&format!("user{i}"), HOME, now);
        }
        assert!(t.check_at("someone-new", HOME, now).is_err());
        assert!(t.check_at("someone-new", OTHER, now).is_ok());
    }
}
