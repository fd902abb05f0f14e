//! Bounds password hashing, the one request that costs real CPU and memory
//! (argon2id: 19 MiB and tens of milliseconds each): a few hashes run at once
//! on blocking threads, a bounded queue waits for them, and a request beyond
//! that is turned away at once instead of piling up.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Why a hash did not run.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("too many password checks are waiting already")]
    Busy,
    #[error("the hashing task failed: {0}")]
    Failed(#[from] tokio::task::JoinError),
}

/// Cheap to clone; clones share the same limits.
#[derive(Clone, Debug)]
pub struct HashGate {
    /// One permit per hash allowed to run.
    running: Arc<Semaphore>,
    /// One permit per hash allowed to run or wait.
    admitted: Arc<Semaphore>,
}

impl HashGate {
    /// At most `running` hashes at once and `waiting` more in line.
    pub fn new(running: usize, waiting: usize) -> Self {
        let running = running.max(1);
        HashGate { running: Arc::new(Semaphore::new(running)), admitted: Arc::new(Semaphore::new(running + waiting)) }
    }

    /// One hash per core, and a queue a few seconds long.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, 16 * cores)
    }

    /// Runs `hash` on a blocking thread once a slot is free; [`GateError::Busy`]
    /// without waiting when the line is full.
    pub async fn run<T: Send + 'static>(&self, hash: impl FnOnce() -> T + Send + 'static) -> Result<T, GateError> {
        let _in_line = self.admitted.clone().try_acquire_owned().map_err(|_| GateError::Busy)?;
        // The semaphores are never closed, so acquiring can only wait.
        let _slot = self.running.clone().acquire_owned().await.map_err(|_| GateError::Busy)?;
        Ok(tokio::task::spawn_blocking(hash).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_a_few_queues_some_and_turns_the_rest_away() {
        let gate = HashGate::new(1, 1);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, mut has_started) = tokio::sync::mpsc::unbounded_channel::<()>();

        // One runs (blocked until released), one waits in line.
        let g = gate.clone();
        let first = tokio::spawn(async move {
            g.run(move || {
                started.send(()).unwrap();
                released.recv().unwrap();
                1
            })
            .await
        });
        has_started.recv().await.unwrap();
        let g = gate.clone();
        let second = tokio::spawn(async move { g.run(|| 2).await });
        while gate.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }

        // The line is full: a third is refused at once.
        assert!(matches!(gate.run(|| 3).await, Err(GateError::Busy)));

        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(second.await.unwrap().unwrap(), 2);
        // Room again once they are done.
        assert_eq!(gate.run(|| 4).await.unwrap(), 4);
    }
}
