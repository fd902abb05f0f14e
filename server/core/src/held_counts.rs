//! How many of something (connections, hashes, sockets) each holder (a
//! client address, a user) has at once, with a cap: a [`Pass`] is one of
//! them, given back when it is dropped, however its holder ends.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// The counts; clones share them.
#[derive(Debug)]
pub struct HeldCounts<K: Hash + Eq>(Arc<Mutex<HashMap<K, usize>>>);

impl<K: Hash + Eq> Clone for HeldCounts<K> {
    fn clone(&self) -> Self {
        HeldCounts(self.0.clone())
    }
}

impl<K: Hash + Eq> Default for HeldCounts<K> {
    fn default() -> Self {
        HeldCounts(Arc::default())
    }
}

/// One held by `key`; given back when dropped.
#[derive(Debug)]
pub struct Pass<K: Hash + Eq + Clone> {
    counts: HeldCounts<K>,
    key: K,
}

impl<K: Hash + Eq + Clone> HeldCounts<K> {
    /// One more for `key`, if it holds fewer than `limit` (0: no limit).
    pub fn claim(&self, key: K, limit: usize) -> Option<Pass<K>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(key.clone()).or_insert(0);
        if limit != 0 && *n >= limit {
            return None;
        }
        *n += 1;
        Some(Pass { counts: self.clone(), key })
    }

    /// How many `key` holds now.
    pub fn held(&self, key: &K) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied().unwrap_or(0)
    }

    /// Every holder that holds any now.
    pub fn holders_now(&self) -> Vec<K> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect()
    }

    /// How many holders hold any.
    pub fn holders(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl<K: Hash + Eq + Clone> Drop for Pass<K> {
    fn drop(&mut self) {
        let mut map = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_given_back() {
        let counts = HeldCounts::default();
        let one = counts.claim("a", 2).unwrap();
        let two = counts.claim("a", 2).unwrap();
        assert!(counts.claim("a", 2).is_none());
        assert!(counts.claim("b", 2).is_some());
        drop(one);
        assert_eq!(counts.held(&"a"), 1);
        drop(two);
        assert_eq!(counts.holders(), 0);
        assert!(counts.claim("a", 0).is_some(), "0 is no limit");
    }
}
