//! Single-flight: concurrent `get_or_set` calls for one entry in one cache instance make one
//! load. Waiters receive the leader's result as plain data (never a shared future or platform
//! object, which Workers would cancel with the leader's request). If the leader is dropped
//! before finishing, waiters wake with nothing and retry, so a cancelled leader never strands
//! anyone. A flight started before an invalidation made through this instance is not joined:
//! its value may predate the invalidation.

use crate::core::hash_map::HashMap;
use std::sync::{Mutex, MutexGuard};

use futures_channel::oneshot;

use super::options::Hit;
use crate::core::error::CacheError;

pub(crate) type FlightResult = Result<Hit, CacheError>;

struct Flight {
    id: u64,
    epoch: u64,
    waiters: Vec<oneshot::Sender<FlightResult>>,
}

#[derive(Default)]
pub(crate) struct Flights {
    inner: Mutex<(u64, HashMap<String, Flight>)>,
}

pub(crate) enum Role<'a> {
    Leader(Leader<'a>),
    Waiter(oneshot::Receiver<FlightResult>),
}

/// The right and duty to load; dropping it unfinished releases the waiters.
pub(crate) struct Leader<'a> {
    flights: &'a Flights,
    key: String,
    id: u64,
}

impl Flights {
    fn lock(&self) -> MutexGuard<'_, (u64, HashMap<String, Flight>)> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a load of `key` is under way.
    pub(crate) fn is_loading(&self, key: &str) -> bool {
        self.lock().1.contains_key(key)
    }

    /// Joins the flight for `key` if one of the current `epoch` is under way, else leads a new
    /// one (replacing an older-epoch flight, whose waiters then retry).
    pub(crate) fn join(&self, key: &str, epoch: u64) -> Role<'_> {
        let mut guard = self.lock();
        let (next_id, flights) = &mut *guard;
        if let Some(flight) = flights.get_mut(key) {
            if flight.epoch == epoch {
                let (tx, rx) = oneshot::channel();
                flight.waiters.push(tx);
                return Role::Waiter(rx);
            }
        }
        *next_id += 1;
        let id = *next_id;
        let old = flights.insert(key.to_owned(), Flight { id, epoch, waiters: Vec::new() });
        drop(guard);
        // Dropping the replaced flight's senders wakes its waiters, which retry and join this one.
        drop(old);
        Role::Leader(Leader { flights: self, key: key.to_owned(), id })
    }
}

impl Leader<'_> {
    fn take_waiters(&self) -> Vec<oneshot::Sender<FlightResult>> {
        let mut guard = self.flights.lock();
        match guard.1.get(&self.key) {
            Some(flight) if flight.id == self.id => guard.1.remove(&self.key).map(|f| f.waiters).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Hands `result` to every waiter.
    pub(crate) fn finish(self, result: &FlightResult) {
        for waiter in self.take_waiters() {
            let _ = waiter.send(result.clone());
        }
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        // After `finish` this finds nothing; after a cancellation it drops the senders, which
        // wakes the waiters with `Canceled`.
        drop(self.take_waiters());
    }
}
