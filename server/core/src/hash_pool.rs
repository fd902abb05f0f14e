//! Password hashing, the one request that costs real CPU and memory (argon2id:
//! 19 MiB and tens of milliseconds each), on a small fixed pool of threads.
//!
//! - One thread per core, each with one [`Hasher`] whose memory is reused:
//!   however many sign-ins arrive, hashing holds `threads x 19 MiB`, no more.
//! - A bounded queue waits for them; a request beyond it is turned away at
//!   once ([`PoolError::Busy`]) instead of piling up.
//! - Each client address may have only a few hashes queued or running, so one
//!   client flooding sign-ins cannot take the queue from everyone else
//!   ([`PoolError::ClientBusy`]).

use std::net::IpAddr;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use crate::auth::Hasher;
use crate::client_key::ClientKey;
use crate::held_counts::HeldCounts;

/// Why a hash did not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    #[error("too many password checks are waiting already")]
    Busy,
    #[error("this client has too many password checks waiting already")]
    ClientBusy,
    #[error("the hashing thread stopped")]
    Stopped,
}

type Job = Box<dyn FnOnce(&mut Hasher) + Send>;

/// Cheap to clone; clones share the threads and limits. The threads end
/// when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct HashPool {
    jobs: SyncSender<Job>,
    per_client: HeldCounts<ClientKey>,
    per_client_limit: usize,
}

impl HashPool {
    /// `threads` hashing threads, `queue` hashes waiting, `per_client`
    /// hashes queued or running for one client address.
    pub(crate) fn new(threads: usize, queue: usize, per_client: usize) -> Self {
        let (jobs, receiver) = std::sync::mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("confab-hash-{i}"))
                .spawn(move || work(&receiver))
                .expect("the system can start a thread");
        }
        HashPool { jobs, per_client: HeldCounts::default(), per_client_limit: per_client.max(1) }
    }

    /// One thread per core, a queue a few seconds long, and a fair share of
    /// it per client.
    pub(crate) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, 16 * cores, cores + 2)
    }

    /// Runs `hash` on a hashing thread for `client`, once one is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        client: IpAddr,
        hash: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        // Held until the hash is done, even if the caller stops waiting.
        let slot = self.per_client.claim(ClientKey::of(client), self.per_client_limit).ok_or(PoolError::ClientBusy)?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |hasher| {
            let value = hash(hasher);
            // Given back before the answer, so the caller's next hash finds
            // its share free (a panic gives it back while unwinding).
            drop(slot);
            let _ = done.send(value);
        });
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => PoolError::Busy,
            TrySendError::Disconnected(_) => PoolError::Stopped,
        })?;
        result.await.map_err(|_| PoolError::Stopped)
    }
}

/// A hashing thread: takes jobs until the pool is gone. A job that panics
/// loses its answer (its caller sees `Stopped`), not the thread.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut hasher = Hasher::default();
    loop {
        let job = {
            let Ok(receiver) = receiver.lock() else { return };
            match receiver.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut hasher))).is_err() {
            tracing::error!("a password hash panicked");
            hasher = Hasher::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[tokio::test]
    async fn runs_a_few_queues_some_and_turns_the_rest_away() {
        let pool = HashPool::new(1, 1, 2);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, mut has_started) = tokio::sync::mpsc::unbounded_channel::<()>();

        // One runs (blocked until released), one waits in the queue.
        let p = pool.clone();
        let first = tokio::spawn(async move {
            p.run(A, move |_| {
                started.send(()).unwrap();
                released.recv().unwrap();
                1
            })
            .await
        });
        has_started.recv().await.unwrap();
        let p = pool.clone();
        let second = tokio::spawn(async move { p.run(B, |_| 2).await });
        while pool.per_client.held(&ClientKey::of(B)) == 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;

        // Client A has its share in flight: refused. The queue is full: B refused too.
        assert!(matches!(pool.run(A, |_| 3).await, Err(PoolError::Busy | PoolError::ClientBusy)));
        assert!(matches!(pool.run(B, |_| 3).await, Err(PoolError::Busy)));

        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(second.await.unwrap().unwrap(), 2);
        // Room again once they are done, and the counts are given back.
        assert_eq!(pool.run(A, |_| 4).await.unwrap(), 4);
        assert_eq!(pool.per_client.holders(), 0);
    }

    #[tokio::test]
    async fn one_client_gets_only_its_share() {
        let pool = HashPool::new(1, 10, 2);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let mut held = Vec::new();
        for _ in 0..2 {
            let (p, r) = (pool.clone(), released.clone());
            held.push(tokio::spawn(async move { p.run(A, move |_| r.lock().unwrap().recv().unwrap()).await }));
        }
        while pool.per_client.held(&ClientKey::of(A)) != 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(pool.run(A, |_| ()).await, Err(PoolError::ClientBusy)));
        // Someone else still gets in line.
        let p = pool.clone();
        let other = tokio::spawn(async move { p.run(B, |_| 7).await });
        release.send(()).unwrap();
        release.send(()).unwrap();
        for h in held {
            h.await.unwrap().unwrap();
        }
        assert_eq!(other.await.unwrap().unwrap(), 7);
    }
}
