//! Small bounded cache with per-entry expiry, shared by replay protection and user lookups.
//!
//! Every entry lives for the same `ttl`, so insertion order is expiry order and a queue is
//! enough to evict: no background task, O(1) amortised per operation, memory capped at `capacity`.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct ExpiringCache<K, V> {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, (V, Instant)>,
    /// Keys in insertion order with their expiry; a key re-inserted later appears twice, and the
    /// stale copy is recognised by its expiry not matching the map's.
    order: VecDeque<(K, Instant)>,
}

impl<K: Eq + Hash + Clone, V: Clone> ExpiringCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// The live value for `key`, if any.
    pub fn get(&self, key: &K, now: Instant) -> Option<V> {
        let inner = self.lock();
        inner
            .entries
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(v, _)| v.clone())
    }

    /// Stores `value`, replacing any earlier one, and evicts what has expired or overflows.
    pub fn insert(&self, key: K, value: V, now: Instant) {
        let mut inner = self.lock();
        inner.purge(now, self.capacity.saturating_sub(1));
        inner.put(key, value, now + self.ttl);
    }

    /// Stores `value` only when no live entry exists; `true` when it was stored. Atomic, so two
    /// concurrent callers with the same key cannot both see `true`.
    pub fn insert_if_absent(&self, key: K, value: V, now: Instant) -> bool {
        let mut inner = self.lock();
        inner.purge(now, self.capacity.saturating_sub(1));
        if inner.entries.get(&key).is_some_and(|(_, e)| *e > now) {
            return false;
        }
        inner.put(key, value, now + self.ttl);
        true
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // A panic while holding the lock cannot leave the maps inconsistent in a way that
        // matters for a cache, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: Eq + Hash + Clone, V> Inner<K, V> {
    fn put(&mut self, key: K, value: V, expires: Instant) {
        self.order.push_back((key.clone(), expires));
        self.entries.insert(key, (value, expires));
    }

    /// Drops expired entries, then the oldest ones until at most `keep` remain.
    fn purge(&mut self, now: Instant, keep: usize) {
        while let Some((key, expires)) = self.order.front() {
            let current = self.entries.get(key).map(|(_, e)| *e);
            if current != Some(*expires) {
                // A stale queue copy of a key that was re-inserted or already removed.
                self.order.pop_front();
                continue;
            }
            if *expires > now && self.entries.len() <= keep {
                break;
            }
            let (key, _) = self.order.pop_front().expect("front exists");
            self.entries.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = ExpiringCache::new(Duration::from_secs(10), 100);
        let t0 = Instant::now();
        cache.insert("a", 1, t0);
        assert_eq!(cache.get(&"a", t0 + Duration::from_secs(9)), Some(1));
        assert_eq!(cache.get(&"a", t0 + Duration::from_secs(10)), None);
    }

    #[test]
    fn insert_if_absent_refuses_a_live_key_and_accepts_an_expired_one() {
        let cache = ExpiringCache::new(Duration::from_secs(10), 100);
        let t0 = Instant::now();
        assert!(cache.insert_if_absent("sig", (), t0));
        assert!(!cache.insert_if_absent("sig", (), t0 + Duration::from_secs(5)));
        assert!(cache.insert_if_absent("sig", (), t0 + Duration::from_secs(11)));
    }

    #[test]
    fn memory_is_bounded_by_capacity_evicting_the_oldest() {
        let cache = ExpiringCache::new(Duration::from_secs(3600), 3);
        let t0 = Instant::now();
        for i in 0..10 {
            cache.insert(i, i, t0);
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&9, t0), Some(9));
        assert_eq!(cache.get(&0, t0), None);
    }

    #[test]
    fn claims_are_bounded_by_capacity_too_evicting_the_oldest() {
        let cache = ExpiringCache::new(Duration::from_secs(3600), 3);
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(cache.insert_if_absent(i, (), t0), "{i} is new");
        }
        assert_eq!(cache.len(), 3);
        assert!(
            !cache.insert_if_absent(9, (), t0),
            "the newest is still held"
        );
        assert!(
            cache.insert_if_absent(0, (), t0),
            "the oldest was forgotten"
        );
    }

    #[test]
    fn reinserting_a_key_keeps_the_queue_consistent() {
        let cache = ExpiringCache::new(Duration::from_secs(10), 2);
        let t0 = Instant::now();
        cache.insert("a", 1, t0);
        cache.insert("a", 2, t0 + Duration::from_secs(5));
        cache.insert("b", 3, t0 + Duration::from_secs(6));
        assert_eq!(cache.get(&"a", t0 + Duration::from_secs(12)), Some(2));
        assert_eq!(cache.len(), 2);
    }
}
