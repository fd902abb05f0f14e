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
//!
//! In a cluster, every server also counts in the cluster's
//! [`SharedLimits`] (by the same keys, named by [`Key::name`]), so guesses
//! spread over the servers wait as if they all came to one: a sign-in waits
//! for the longer of the two waits, and a client known to any server is
//! known to all.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client_key::ClientKey;
use crate::shared_limits::SharedLimits;

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
    /// The key's name in the cluster's count: the client's address in hex,
    /// then the account's name, which ends the name (so no name can pass
    /// for another).
    fn name(&self) -> String {
        fn client(c: &ClientKey) -> String {
            match c {
                ClientKey::V4(b) => format!("4-{}", hex(b)),
                ClientKey::V6(b) => format!("6-{}", hex(b)),
            }
        }
        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
        match self {
            Key::AccountFromClient(account, c) => format!("pair:{}:{account}", client(c)),
            Key::Account(account) => format!("account:{account}"),
            Key::Client(c) => format!("client:{}", client(c)),
        }
    }

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

/// How long after the last of `count` failures the next try may come,
/// given the free failures.
fn wait_after(count: u32, free: u32) -> Option<Duration> {
    let over = count.checked_sub(free).filter(|&over| over > 0)?;
    Some(Duration::from_secs(1u64 << (over - 1).min(20)).min(MAX_WAIT))
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

/// How long a sign-in under `keys` must wait, given for each key its count
/// of failures and how long ago the last was.
fn wait_for(keys: &[Key; 3], known: bool, failures: impl Fn(usize) -> Option<(u32, Duration)>) -> Duration {
    keys.iter()
        .enumerate()
        // Failures from elsewhere do not hold back a known client.
        .filter(|(_, key)| !(known && matches!(key, Key::Account(_))))
        .filter_map(|(at, key)| {
            let (count, ago) = failures(at)?;
            Some(wait_after(count, key.free())?.saturating_sub(ago))
        })
        .max()
        .unwrap_or_default()
}

/// The name under which the cluster marks a client as known to an account.
fn known_name(username: &str, client: IpAddr) -> String {
    let [from_client, ..] = keys(username, client);
    format!("known-{}", from_client.name())
}

impl LoginThrottle {
    /// `Err(wait)` when a sign-in to `username` from `client` must wait that long.
    fn check(&self, username: &str, client: IpAddr) -> Result<(), Duration> {
        self.check_at(username, client, Instant::now())
    }

    fn check_at(&self, username: &str, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.check_knowing(username, client, now, false)
    }

    /// `known_elsewhere`: another server knows the client to the account.
    fn check_knowing(
        &self,
        username: &str,
        client: IpAddr,
        now: Instant,
        known_elsewhere: bool,
    ) -> Result<(), Duration> {
        let known = known_elsewhere || self.is_known(username, client, now);
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let keys = keys(username, client);
        let wait = wait_for(&keys, known, |at| {
            let f = failures.get(&keys[at])?;
            Some((f.count, now.saturating_duration_since(f.last)))
        });
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Like [`check`](Self::check), counting the failures every server of
    /// the cluster saw too (when `shared` answers in time).
    pub(crate) async fn check_everywhere(
        &self,
        shared: Option<&dyn SharedLimits>,
        username: &str,
        client: IpAddr,
    ) -> Result<(), Duration> {
        let Some(shared) = shared else { return self.check(username, client) };
        let keys = keys(username, client);
        let names: Vec<String> = keys.iter().map(Key::name).collect();
        let record = shared.sign_in_record(&names, &known_name(username, client)).await;
        let known_elsewhere = record.as_ref().is_some_and(|r| r.known);
        self.check_knowing(username, client, Instant::now(), known_elsewhere)?;
        let Some(record) = record else { return Ok(()) };
        let known = known_elsewhere || self.is_known(username, client, Instant::now());
        let wait = wait_for(&keys, known, |at| *record.failures.get(at)?);
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a failure here and, in a cluster, for every server.
    pub(crate) async fn failed_everywhere(&self, shared: Option<&dyn SharedLimits>, username: &str, client: IpAddr) {
        self.failed(username, client);
        if let Some(shared) = shared {
            let names: Vec<String> = keys(username, client).iter().map(Key::name).collect();
            shared.sign_in_failed(&names, FORGET_AFTER).await;
        }
    }

    /// A right password, here and, in a cluster, for every server.
    pub(crate) async fn succeeded_everywhere(&self, shared: Option<&dyn SharedLimits>, username: &str, client: IpAddr) {
        self.succeeded(username, client);
        if let Some(shared) = shared {
            let [from_client, ..] = keys(username, client);
            shared.sign_in_succeeded(&from_client.name(), &known_name(username, client), KNOWN_FOR).await;
        }
    }

    /// Counts a wrong password (or unknown name).
    fn failed(&self, username: &str, client: IpAddr) {
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
    fn succeeded(&self, username: &str, client: IpAddr) {
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
    use std::collections::HashSet;
    use std::future::Future;
    use std::pin::Pin;

    use super::*;
    use crate::shared_limits::SignInRecord;

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

    /// A cluster's count, in memory: what one server counts, another sees.
    #[derive(Default)]
    struct Cluster {
        failures: Mutex<HashMap<String, (u32, Instant)>>,
        known: Mutex<HashSet<String>>,
    }

    impl SharedLimits for Cluster {
        fn message(&self, _: i64) -> Pin<Box<dyn Future<Output = Option<bool>> + Send + '_>> {
            Box::pin(async { Some(true) })
        }

        fn sign_in_record<'a>(
            &'a self,
            keys: &'a [String],
            known: &'a str,
        ) -> Pin<Box<dyn Future<Output = Option<SignInRecord>> + Send + 'a>> {
            let failures = self.failures.lock().unwrap();
            let failures = keys.iter().map(|k| failures.get(k).map(|(n, at)| (*n, at.elapsed()))).collect();
            let known = self.known.lock().unwrap().contains(known);
            Box::pin(async move { Some(SignInRecord { failures, known }) })
        }

        fn sign_in_failed<'a>(
            &'a self,
            keys: &'a [String],
            _: Duration,
        ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
            let mut failures = self.failures.lock().unwrap();
            for key in keys {
                let entry = failures.entry(key.clone()).or_insert((0, Instant::now()));
                *entry = (entry.0 + 1, Instant::now());
            }
            Box::pin(async {})
        }

        fn sign_in_succeeded<'a>(
            &'a self,
            forget: &'a str,
            known: &'a str,
            _: Duration,
        ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
            self.failures.lock().unwrap().remove(forget);
            self.known.lock().unwrap().insert(known.to_owned());
            Box::pin(async {})
        }
    }

    /// A cluster that does not answer.
    struct Away;

    impl SharedLimits for Away {
        fn message(&self, _: i64) -> Pin<Box<dyn Future<Output = Option<bool>> + Send + '_>> {
            Box::pin(async { None })
        }

        fn sign_in_record<'a>(
            &'a self,
            _: &'a [String],
            _: &'a str,
        ) -> Pin<Box<dyn Future<Output = Option<SignInRecord>> + Send + 'a>> {
            Box::pin(async { None })
        }

        fn sign_in_failed<'a>(&'a self, _: &'a [String], _: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
            Box::pin(async {})
        }

        fn sign_in_succeeded<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: Duration,
        ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
            Box::pin(async {})
        }
    }

    /// Guesses spread over two servers wait as if they all came to one; a
    /// client known to one is known to the other; a cluster that does not
    /// answer leaves each server's own count in charge.
    #[tokio::test]
    async fn guesses_spread_over_servers_wait_as_on_one() {
        let cluster = Cluster::default();
        let shared: Option<&dyn SharedLimits> = Some(&cluster);
        let (a, b) = (LoginThrottle::default(), LoginThrottle::default());
        for i in 0..6 {
            let server = if i % 2 == 0 { &a } else { &b };
            assert!(server.check_everywhere(shared, "ann", OTHER).await.is_ok(), "try {i} is free");
            server.failed_everywhere(shared, "ann", OTHER).await;
        }
        assert!(a.check("ann", OTHER).is_ok() && b.check("ann", OTHER).is_ok(), "three each: free on either alone");
        let wait = a.check_everywhere(shared, "ann", OTHER).await.unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(b.check_everywhere(shared, "ann", OTHER).await.is_err());
        assert!(b.check_everywhere(Some(&Away), "ann", OTHER).await.is_ok(), "Redis away: the server's own count");

        // Ann signs in from home through a; strangers' guesses through b
        // then lock the account for them, not for her at home.
        a.succeeded_everywhere(shared, "ann", HOME).await;
        for i in 0..21u8 {
            let guesser = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i % 5));
            b.failed_everywhere(shared, "ann", guesser).await;
        }
        assert!(a.check_everywhere(shared, "ann", IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9))).await.is_err());
        assert!(b.check_everywhere(shared, "ann", HOME).await.is_ok(), "known through a, so known to b");
    }

    #[test]
    fn cluster_key_names_are_unambiguous() {
        let [pair, account, client] = keys("Ann", HOME);
        assert_eq!(pair.name(), "pair:4-c0000201:ann");
        assert_eq!(account.name(), "account:ann");
        assert_eq!(client.name(), "client:4-c0000201");
        let v6: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        assert_eq!(keys("a:b", v6)[0].name(), "pair:6-20010db800010002:a:b");
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
