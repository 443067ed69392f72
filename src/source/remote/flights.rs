//! One request to the origin for many callers: concurrent asks for the same key share the
//! first caller's answer, so 30 cold requests for one image cost the origin one version check
//! (the download is shared by the originals cache). Nothing is kept once the answer is out;
//! what lasts is the remembered version. If the caller doing the work goes away (its client
//! disconnected), a waiting one takes over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

pub struct Flights<T> {
    open: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Flights {
            open: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Flights<T> {
    /// `work`'s answer for `key`, from this caller's own run or from the one already under way.
    pub async fn share<F: Future<Output = T>>(&self, key: &str, work: impl FnOnce() -> F) -> T {
        let flight = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(open.entry(key.to_string()).or_default())
        };
        // Also when this caller is dropped mid-flight (its client went away): otherwise a
        // flight nobody finished would stay under its key for good.
        let _leaving = Leaving {
            flights: self,
            key,
            flight: &flight,
        };
        flight.get_or_init(work).await.clone()
    }
}

/// Takes a flight off its key once it has answered, or once its last caller has gone.
struct Leaving<'a, T> {
    flights: &'a Flights<T>,
    key: &'a str,
    flight: &'a Arc<OnceCell<T>>,
}

impl<T> Drop for Leaving<'_, T> {
    fn drop(&mut self) {
        let mut open = self
            .flights
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only this flight (a newer one may already be under the key); unanswered, only if no
        // other caller waits on it: the map's reference and this caller's are all there are.
        let done = self.flight.initialized() || Arc::strong_count(self.flight) == 2;
        if done
            && open
                .get(self.key)
                .is_some_and(|f| Arc::ptr_eq(f, self.flight))
        {
            open.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_callers_share_one_run_and_later_ones_run_again() {
        let flights = Arc::new(Flights::<usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..30)
            .map(|_| {
                let (flights, runs) = (Arc::clone(&flights), Arc::clone(&runs));
                tokio::spawn(async move {
                    flights
                        .share("k", || async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            runs.fetch_add(1, Ordering::SeqCst) + 1
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let again = flights.share("k", || async { 7 }).await;
        assert_eq!(again, 7);
        assert!(flights.open.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_flight_whose_only_caller_went_away_leaves_nothing_behind() {
        let flights = Flights::<usize>::default();
        let gone = tokio::time::timeout(
            Duration::from_millis(10),
            flights.share("k", std::future::pending),
        )
        .await;
        assert!(gone.is_err());
        assert!(flights.open.lock().unwrap().is_empty());
    }
}
