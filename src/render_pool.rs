//! Admission to rendering: a fixed number of workers (renders are CPU-bound, so more at once
//! only adds latency and memory) behind a bounded queue. When the queue is full the request is
//! refused at once, so a crawler's burst turns into quick 503s rather than a pile of waiting
//! connections each holding memory. Cache hits and passthrough never come here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Workers and the queue in front of them. Cheap to share behind the app state.
#[derive(Debug)]
pub struct RenderPool {
    slots: Arc<Semaphore>,
    workers: usize,
    queue_limit: usize,
    waiting: AtomicUsize,
}

/// The queue was full: the caller answers 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// One worker, held for as long as the render runs (also past a timed-out waiter: the CPU is
/// busy until the render stops at its next checkpoint).
pub type Slot = OwnedSemaphorePermit;

impl RenderPool {
    pub fn new(workers: usize, queue_limit: usize) -> RenderPool {
        let workers = workers.max(1);
        RenderPool {
            slots: Arc::new(Semaphore::new(workers)),
            workers,
            queue_limit,
            waiting: AtomicUsize::new(0),
        }
    }

    /// A free worker now, or a place in the queue and then a worker (first come, first
    /// served: tokio's semaphore is fair), or `Full` at once.
    pub async fn admit(&self) -> Result<Slot, Full> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(slot);
        }
        let mut waiting = self.waiting.load(Ordering::Relaxed);
        loop {
            if waiting >= self.queue_limit {
                return Err(Full);
            }
            match self.waiting.compare_exchange_weak(
                waiting,
                waiting + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => waiting = now,
            }
        }
        // Leaves the queue however the wait ends, also when the client goes away meanwhile.
        let _in_queue = Leave(&self.waiting);
        self.slots.clone().acquire_owned().await.map_err(|_| Full)
    }

    /// Requests waiting for a worker.
    pub fn queued(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Workers busy rendering.
    pub fn in_flight(&self) -> usize {
        self.workers.saturating_sub(self.slots.available_permits())
    }

    pub fn workers(&self) -> usize {
        self.workers
    }
}

struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_its_place() {
        let pool = RenderPool::new(1, 1);
        let busy = pool.admit().await.unwrap();
        assert_eq!(pool.in_flight(), 1);
        let pool = Arc::new(pool);
        let waiter = tokio::spawn({
            let pool = pool.clone();
            async move { pool.admit().await.map(drop) }
        });
        while pool.queued() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.admit().await.err(), Some(Full));
        drop(busy);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        assert_eq!((pool.queued(), pool.in_flight()), (0, 0));
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_the_queue() {
        let pool = RenderPool::new(1, 1);
        let _busy = pool.admit().await.unwrap();
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(10), pool.admit()).await;
        assert!(gave_up.is_err());
        assert_eq!(pool.queued(), 0);
    }

    #[tokio::test]
    async fn without_a_queue_only_free_workers_admit() {
        let pool = RenderPool::new(2, 0);
        let _a = pool.admit().await.unwrap();
        let _b = pool.admit().await.unwrap();
        assert_eq!(pool.admit().await.err(), Some(Full));
    }
}
