//! Rendering's own threads and the admission to them: a fixed number of workers (renders are
//! CPU-bound, so more at once only adds latency and memory) behind a bounded queue. When the
//! queue is full the request is refused at once, so a crawler's burst turns into quick 503s
//! rather than a pile of waiting connections each holding memory. Cache hits and passthrough
//! never come here.
//!
//! The workers are long-lived threads rather than tokio's blocking pool: that pool starts and
//! retires threads with the load, and every retired thread leaves its allocator heap behind
//! (measured with scripts/load.sh: 290 MiB peak RSS for a render-heavy mix on the blocking
//! pool, against what the budgets explain).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// Work handed to a render thread.
type Job = Box<dyn FnOnce() + Send>;

/// Workers and the queue in front of them. Its threads end when it is dropped.
#[derive(Debug)]
pub struct RenderPool {
    slots: Arc<Semaphore>,
    workers: usize,
    queue_limit: usize,
    waiting: AtomicUsize,
    /// Renders started since start-up.
    started: AtomicU64,
    jobs: mpsc::Sender<Job>,
}

/// A render that did not return: it panicked, or the pool's threads are gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crashed(pub String);

/// The queue was full: the caller answers 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// One worker, held for as long as the render runs (also past a timed-out waiter: the CPU is
/// busy until the render stops at its next checkpoint).
pub type Slot = OwnedSemaphorePermit;

impl RenderPool {
    /// Starts `workers` threads (at least one).
    pub fn new(workers: usize, queue_limit: usize) -> std::io::Result<RenderPool> {
        let workers = workers.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("pixgate-render-{i}"))
                .spawn(move || work(&receiver))?;
        }
        Ok(RenderPool {
            slots: Arc::new(Semaphore::new(workers)),
            workers,
            queue_limit,
            waiting: AtomicUsize::new(0),
            started: AtomicU64::new(0),
            jobs,
        })
    }

    /// Runs `render` on a render thread. The slot is released when the render ends, not when
    /// the caller stops waiting, so the workers count what the CPU is doing.
    pub async fn run<T: Send + 'static>(
        &self,
        slot: Slot,
        render: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Crashed> {
        self.started.fetch_add(1, Ordering::Relaxed);
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(render));
            drop(slot);
            // The waiter may have given up; the result then has nowhere to go.
            let _ = done.send(outcome.map_err(|_| Crashed("the render panicked".into())));
        });
        self.jobs
            .send(job)
            .map_err(|_| Crashed("the render threads are gone".into()))?;
        result
            .await
            .unwrap_or_else(|_| Err(Crashed("the render thread ended".into())))
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

    /// Renders started since start-up.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    pub fn workers(&self) -> usize {
        self.workers
    }
}

/// A render thread: takes jobs one at a time until the pool is dropped.
fn work(jobs: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
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
        let pool = RenderPool::new(1, 1).unwrap();
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
        let pool = RenderPool::new(1, 1).unwrap();
        let _busy = pool.admit().await.unwrap();
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(10), pool.admit()).await;
        assert!(gave_up.is_err());
        assert_eq!(pool.queued(), 0);
    }

    #[tokio::test]
    async fn renders_run_on_the_pool_threads_and_panics_come_back_as_errors() {
        let pool = RenderPool::new(1, 0).unwrap();
        let slot = pool.admit().await.unwrap();
        let name = pool
            .run(slot, || std::thread::current().name().map(str::to_owned))
            .await;
        assert_eq!(name, Ok(Some("pixgate-render-0".to_string())));
        assert_eq!(pool.in_flight(), 0);
        let slot = pool.admit().await.unwrap();
        let crashed = pool.run(slot, || -> u8 { panic!("boom") }).await;
        assert!(crashed.is_err());
        // The thread survived the panic and the slot came back.
        let slot = pool.admit().await.unwrap();
        assert_eq!(pool.run(slot, || 7).await, Ok(7));
    }

    #[tokio::test]
    async fn without_a_queue_only_free_workers_admit() {
        let pool = RenderPool::new(2, 0).unwrap();
        let _a = pool.admit().await.unwrap();
        let _b = pool.admit().await.unwrap();
        assert_eq!(pool.admit().await.err(), Some(Full));
    }
}
