//! The fetch queue: where the poll thread takes fetched messages from, many per librdkafka call.
//!
//! librdkafka puts fetched messages and group events (rebalances, commit results, logs, errors,
//! token refreshes) on one consumer queue, and rust-rdkafka's `poll` takes one op per call, reading
//! the clock twice each time; that was a third of the poll thread's time. The batch call,
//! `rd_kafka_consume_batch_queue`, cannot serve that queue: it hands every op that is not a
//! message to the conf callbacks, and without a `rebalance_cb` librdkafka answers a rebalance met
//! there with a forced unassign.
//!
//! So each assigned partition's queue is forwarded, before the partition is assigned, to a queue
//! of our own ([`FetchQueue::route`]) that then holds nothing but that partition's fetched
//! messages and fetch errors, taken in batches ([`FetchQueue::take`]). The consumer queue keeps
//! the group events, which rust-rdkafka's `poll` still serves (never waiting, only while ops are
//! there). The poll thread sleeps on a [`Waker`] that librdkafka signals when either queue goes
//! from empty to non-empty.
//!
//! The handles must go before the client: [`Consumer`] declares the queue first, so it is dropped
//! first, and its `Drop` first stops routing new assignments to it.

use std::ffi::{c_void, CString};
use std::ops::Deref;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer as _};

use super::rebalance::ConsumerCtx;
use crate::producer::lock;

/// Counts the times a watched queue went from empty to non-empty, and wakes the poll thread.
#[derive(Default)]
pub struct Waker {
  generation: Mutex<u64>,
  changed: Condvar,
}

impl Waker {
  pub fn generation(&self) -> u64 {
    *lock(&self.generation)
  }

  pub fn signal(&self) {
    *lock(&self.generation) += 1;
    self.changed.notify_all();
  }

  /// Waits until the generation is no longer `seen`, at most `timeout`.
  pub fn wait(&self, seen: u64, timeout: Duration) {
    let g = lock(&self.generation);
    let _ = self.changed.wait_timeout_while(g, timeout, |g| *g == seen);
  }
}

/// Called by librdkafka, from any of its threads and under the queue's lock: signals only.
unsafe extern "C" fn queue_nonempty(_rk: *mut rd::rd_kafka_t, opaque: *mut c_void) {
  // SAFETY: `opaque` is the `Waker` of a `FetchQueue`, which disables this callback on both
  // queues (under their locks) before it releases its reference.
  let waker = unsafe { &*(opaque as *const Waker) };
  waker.signal();
}

/// Our queue of fetched messages, and a handle on the consumer queue to watch it.
pub struct FetchQueue {
  fetched: *mut rd::rd_kafka_queue_t,
  consumer: *mut rd::rd_kafka_queue_t,
  /// Shared with the poll thread, which waits on it between requests (see super::poller).
  waker: Arc<Waker>,
}

// SAFETY: librdkafka queue handles are thread-safe; the pointers are owned by this struct.
unsafe impl Send for FetchQueue {}
unsafe impl Sync for FetchQueue {}

impl FetchQueue {
  fn new(rk: *mut rd::rd_kafka_t) -> Option<FetchQueue> {
    // SAFETY: a live client. Both handles are destroyed in `Drop`, before the client is.
    unsafe {
      let consumer = rd::rd_kafka_queue_get_consumer(rk);
      if consumer.is_null() {
        return None;
      }
      let fetched = rd::rd_kafka_queue_new(rk);
      let q = FetchQueue {
        fetched,
        consumer,
        waker: Arc::default(),
      };
      let opaque = Arc::as_ptr(&q.waker) as *mut c_void;
      rd::rd_kafka_queue_cb_event_enable(q.fetched, Some(queue_nonempty), opaque);
      rd::rd_kafka_queue_cb_event_enable(q.consumer, Some(queue_nonempty), opaque);
      Some(q)
    }
  }

  pub fn waker(&self) -> &Waker {
    &self.waker
  }

  /// The waker, for a thread that waits on it without holding the consumer.
  pub fn waker_handle(&self) -> Arc<Waker> {
    self.waker.clone()
  }

  /// Ops (group events, logs, errors, messages of unrouted partitions) wait on the consumer queue.
  pub fn events_waiting(&self) -> bool {
    // SAFETY: a live handle.
    unsafe { rd::rd_kafka_queue_length(self.consumer) > 0 }
  }

  /// Takes up to `max` fetched messages (never waiting) into `out`; the caller destroys them.
  pub fn take(&self, max: usize, out: &mut Vec<*mut rd::rd_kafka_message_t>) -> usize {
    out.clear();
    out.reserve(max);
    // SAFETY: `out` has room for `max` pointers; librdkafka writes `n <= max` of them.
    unsafe {
      let n = rd::rd_kafka_consume_batch_queue(self.fetched, 0, out.as_mut_ptr(), max);
      let n = if n < 0 { 0 } else { n as usize };
      out.set_len(n);
      n
    }
  }
}

impl Drop for FetchQueue {
  fn drop(&mut self) {
    // SAFETY: live handles; disabling takes each queue's lock, so no callback runs after it.
    unsafe {
      rd::rd_kafka_queue_cb_event_enable(self.fetched, None, ptr::null_mut());
      rd::rd_kafka_queue_cb_event_enable(self.consumer, None, ptr::null_mut());
      rd::rd_kafka_queue_destroy(self.consumer);
      rd::rd_kafka_queue_destroy(self.fetched);
    }
  }
}

/// Forwards each partition's queue to the fetch queue registered in `target` (none: the messages
/// stay on the consumer queue, which the poll thread also serves). Called before assigning.
pub fn route(rk: *mut rd::rd_kafka_t, target: &AtomicPtr<rd::rd_kafka_queue_t>, partitions: &[(String, i32)]) {
  let fetched = target.load(Ordering::Acquire);
  if fetched.is_null() {
    return;
  }
  for (topic, partition) in partitions {
    let Ok(name) = CString::new(topic.as_str()) else { continue };
    // SAFETY: a live client; the partition handle is released right away (the forward holds its
    // own reference on the fetch queue).
    unsafe {
      let pq = rd::rd_kafka_queue_get_partition(rk, name.as_ptr(), *partition);
      if !pq.is_null() {
        rd::rd_kafka_queue_forward(pq, fetched);
        rd::rd_kafka_queue_destroy(pq);
      }
    }
  }
}

/// A group consumer and its fetch queue. Fields drop in order: the queue before the client.
pub struct Consumer {
  pub fetch: Option<FetchQueue>,
  pub base: BaseConsumer<ConsumerCtx>,
}

impl Consumer {
  pub fn new(base: BaseConsumer<ConsumerCtx>) -> Consumer {
    let fetch = FetchQueue::new(base.client().native_ptr());
    if let Some(f) = &fetch {
      base.context().fetch_queue.store(f.fetched, Ordering::Release);
    }
    Consumer { fetch, base }
  }
}

impl Drop for Consumer {
  fn drop(&mut self) {
    // Assignments made while closing keep their messages on the consumer queue.
    self.base.context().fetch_queue.store(ptr::null_mut(), Ordering::Release);
  }
}

impl Deref for Consumer {
  type Target = BaseConsumer<ConsumerCtx>;
  fn deref(&self) -> &Self::Target {
    &self.base
  }
}
