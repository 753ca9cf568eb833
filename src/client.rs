//! One librdkafka producer client, and where its delivery reports are served.
//!
//! librdkafka's broker threads put delivery reports (and client errors) on the client's main
//! queue; somebody must poll that queue to run the report callbacks. A polling thread (what
//! rust-rdkafka's `ThreadedProducer` does) costs a thread wake-up per burst of reports, before
//! the wake-up of the JS thread that settles the Promises: two hand-offs per awaited send.
//!
//! So by default nobody polls in the background. librdkafka calls [`on_main_queue`] (on its own
//! thread) when the main queue goes from empty to non-empty; that wakes the JS thread through the
//! producer's completion notifier, and the JS thread polls the queue itself when it drains
//! completions ([`Client::serve`]): one hand-off, broker thread to JS thread. The events are read
//! by [`crate::reports`], not by rust-rdkafka's per-message poll.
//!
//! The exception is SASL/OAUTHBEARER: librdkafka asks for a token on the same queue, and the
//! token comes from a JS callback, so that queue must not be polled on the JS thread (it would
//! wait for itself). Such clients get a polling thread, as before.

use std::ffi::c_void;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::producer::{BaseProducer, Producer};

use crate::delivery::Completions;
use crate::error::{NativeError, NativeResult};
use crate::events::Context;
use crate::producer::batch::TopicHandles;
use crate::reports::serve_event;

type Inner = BaseProducer<Context>;

/// Upper bound of queue events served per `serve` call, so a flood of reports cannot hold the
/// JS thread indefinitely; whatever is left wakes it again.
const MAX_EVENTS_PER_SERVE: usize = 4096;
/// How long one wake-up of the JS thread may spend serving delivery reports (see [`Client::serve`]).
pub const SERVE_BUDGET: Duration = Duration::from_millis(1);

enum Poller {
  /// The JS thread polls when woken (the default).
  JsThread {
    queue: *mut rd::rd_kafka_queue_t,
    notify: *const Completions,
  },
  /// A dedicated thread polls (OAUTHBEARER).
  Thread { stop: Arc<AtomicBool>, handle: Option<JoinHandle<()>> },
}

pub struct Client {
  inner: Arc<Inner>,
  poller: Poller,
  /// Topic handles for `rd_kafka_produce_batch` (see crate::producer::batch).
  topics: TopicHandles,
}

// SAFETY: the raw pointers are a librdkafka queue handle (thread-safe) and a leaked
// `Arc<Completions>` reclaimed in `Drop`; both are only read concurrently.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

/// Called by librdkafka, with the queue locked, when the main queue becomes non-empty.
unsafe extern "C" fn on_main_queue(_rk: *mut rd::rd_kafka_t, opaque: *mut c_void) {
  if let Some(c) = (opaque as *const Completions).as_ref() {
    c.wake();
  }
}

impl Client {
  /// Wraps a new producer. `poll_thread`: serve its queue on a thread of its own (fails if that
  /// thread cannot be started: without it no delivery report would ever be served).
  pub fn new(inner: Inner, completions: &Arc<Completions>, poll_thread: bool) -> NativeResult<Client> {
    let inner = Arc::new(inner);
    if poll_thread {
      let stop = Arc::new(AtomicBool::new(false));
      let (p, s) = (inner.clone(), stop.clone());
      let handle = std::thread::Builder::new()
        .name("kafka-napi poll".into())
        .spawn(move || {
          while !s.load(Ordering::Acquire) {
            p.poll(Duration::from_millis(100));
          }
        })
        .map_err(|e| NativeError::State(format!("could not start the delivery-report thread: {e}")))?;
      return Ok(Client {
        inner,
        poller: Poller::Thread { stop, handle: Some(handle) },
        topics: TopicHandles::default(),
      });
    }
    let notify = Arc::into_raw(completions.clone());
    // SAFETY: `native_ptr` is this live client; the queue handle and the opaque are released in
    // `Drop`, after the callback is disabled (disabling takes the queue lock the callback runs under).
    let queue = unsafe {
      let q = rd::rd_kafka_queue_get_main(inner.client().native_ptr());
      rd::rd_kafka_queue_cb_event_enable(q, Some(on_main_queue), notify as *mut c_void);
      q
    };
    let client = Client {
      inner,
      poller: Poller::JsThread { queue, notify },
      topics: TopicHandles::default(),
    };
    // Anything queued before the callback was enabled would never trigger it.
    if client.queued() > 0 {
      completions.wake();
    }
    Ok(client)
  }

  /// The librdkafka handle (for calls rust-rdkafka does not wrap).
  pub fn rk(&self) -> *mut rd::rd_kafka_t {
    self.inner.client().native_ptr()
  }

  pub fn topic_handles(&self) -> &TopicHandles {
    &self.topics
  }

  fn queued(&self) -> usize {
    match self.poller {
      // SAFETY: a live queue handle.
      Poller::JsThread { queue, .. } => unsafe { rd::rd_kafka_queue_length(queue) },
      Poller::Thread { .. } => 0,
    }
  }

  /// Runs the callbacks of what is on the main queue (delivery reports, client errors), until it
  /// is empty or `deadline` has passed. Called on the JS thread; a client with a polling thread has
  /// nothing to do here. One queue event can hold a whole batch's reports (a thousand messages
  /// take about a millisecond), so the time is checked after each event: the event loop gets a
  /// turn between slices, and what is left wakes the JS thread again.
  pub fn serve(&self, deadline: Instant) {
    let Poller::JsThread { queue, .. } = self.poller else {
      return;
    };
    let mut served = 0;
    while served < MAX_EVENTS_PER_SERVE {
      // SAFETY: a live queue handle; what it returns is this client's event, handed over once.
      let ev = unsafe { rd::rd_kafka_queue_poll(queue, 0) };
      if ev.is_null() {
        break;
      }
      // SAFETY: an event just polled from this producer's main queue (crate::reports).
      unsafe { serve_event(self.inner.context(), ev) };
      served += 1;
      if Instant::now() >= deadline {
        break;
      }
    }
    if self.queued() > 0 {
      if let Poller::JsThread { notify, .. } = self.poller {
        // SAFETY: the leaked Arc lives until Drop.
        unsafe { (*notify).wake() };
      }
    }
  }
}

impl Deref for Client {
  type Target = Inner;

  fn deref(&self) -> &Inner {
    &self.inner
  }
}

impl Drop for Client {
  fn drop(&mut self) {
    self.topics.clear();
    match &mut self.poller {
      Poller::JsThread { queue, notify } => {
        // SAFETY: see `new`; after disabling, librdkafka no longer calls back with `notify`.
        unsafe {
          rd::rd_kafka_queue_cb_event_enable(*queue, None, std::ptr::null_mut());
          rd::rd_kafka_queue_destroy(*queue);
          drop(Arc::from_raw(*notify));
        }
      }
      Poller::Thread { stop, handle } => {
        stop.store(true, Ordering::Release);
        if let Some(h) = handle.take() {
          let _ = h.join();
        }
      }
    }
    // `inner` drops next: rust-rdkafka purges, then flushes (polling here) for up to 500 ms.
  }
}
