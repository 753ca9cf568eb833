//! The poll thread: one per consumer, filling the chunks JS asks for, in order.
//!
//! A chunk used to be an async napi call: a Promise made per call (napi-rs makes a threadsafe
//! function for every deferred), a task on napi's tokio runtime, and a blocking task under it.
//! Each chunk then crossed four threads (JS, a tokio worker, a blocking thread, the worker again,
//! JS), and at one message per chunk (a consumer keeping up with a slow producer) the call alone
//! took about 85 µs of the JS thread in a profile of the Nest example.
//!
//! Here JS asks with [`Poller::request`] (a lock, and a signal only when the thread waits for
//! it; no Promise), the consumer's own thread runs [`poll_chunk`] for each request in order, and
//! hands every chunk to JS through one threadsafe function made once per consumer: one hand-off
//! each way. The Promise is made in JS (`lib/consumer/chunks.js`), which also keeps the event
//! loop alive while a chunk is asked for (the threadsafe function is weak).
//!
//! Between requests the thread waits on the consumer's fetch waker (librdkafka signals it when
//! fetched messages or group events arrive), not for the request. When a chunk ended with both
//! queues empty and nothing has come since, the next request does not wake the thread: it is
//! taken when something comes (a poll started at once would only wait for that too), or within a
//! [`SLICE`], so a request costs the JS thread a lock and no thread switch. When something is
//! already waiting, the thread waits to be woken by the request, as it must not poll without
//! one (a rebalance runs inside a poll, and JS marks itself busy before it asks). `seek` and
//! `close` signal the waker themselves.
//!
//! The thread starts with the first request and ends after [`Poller::stop`] once every request
//! made before is answered (by an empty chunk when the consumer is closing). It holds the
//! consumer only while it polls, under the `polling` lock `close` waits for.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use napi::bindgen_prelude::{Buffer, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use super::fetch::{Consumer, Waker};
use super::poll::{poll_chunk, Bounds, SLICE};
use super::rebalance::GroupState;
use crate::error::{NativeError, NativeResult};
use crate::producer::lock;

type ChunkListener = ThreadsafeFunction<Buffer, (), Buffer, napi::Status, false, true>;

/// What a poll needs besides the consumer, shared with the napi object.
pub struct PollContext {
  pub state: Arc<Mutex<GroupState>>,
  pub closed: Arc<AtomicBool>,
  /// Held while a chunk is polled; `close` takes it before destroying the consumer.
  pub polling: Arc<Mutex<()>>,
}

#[derive(Default)]
struct Requests {
  /// Each request with when it was made (its wait counts from then).
  queue: VecDeque<(Arc<Consumer>, Bounds, Instant)>,
  stop: bool,
  /// The thread waits for a request (not for something to fetch): the next one must wake it.
  parked: bool,
}

#[derive(Default)]
struct Shared {
  requests: Mutex<Requests>,
  /// Wakes a thread that has no fetch waker to wait on (a consumer without a fetch queue).
  asked: Condvar,
  /// The consumer's fetch waker, once the thread runs (None: the consumer has no fetch queue).
  waker: RwLock<Option<Arc<Waker>>>,
  listener: RwLock<Option<ChunkListener>>,
}

pub struct Poller {
  shared: Arc<Shared>,
  thread: Mutex<Option<JoinHandle<()>>>,
}

impl Poller {
  pub fn new() -> Poller {
    Poller {
      shared: Arc::default(),
      thread: Mutex::new(None),
    }
  }

  /// `listener(chunk)` is called on the JS thread with each chunk, in request order. Weak: it
  /// never keeps the process alive by itself.
  pub fn set_listener(&self, listener: Function<Buffer, ()>) -> napi::Result<()> {
    let tsfn: ChunkListener = listener.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
    *self.shared.listener.write().unwrap_or_else(PoisonError::into_inner) = Some(tsfn);
    Ok(())
  }

  /// Drops the listener (after closing): its threadsafe function holds the JS callback, which
  /// references the consumer, which holds this poller (a cycle no GC could collect).
  pub fn clear_listener(&self) {
    *self.shared.listener.write().unwrap_or_else(PoisonError::into_inner) = None;
  }

  /// Asks for one chunk of `consumer`, answered through the listener after every earlier request.
  pub fn request(&self, consumer: Arc<Consumer>, bounds: Bounds, ctx: &PollContext) -> NativeResult<()> {
    if self.shared.listener.read().unwrap_or_else(PoisonError::into_inner).is_none() {
      return Err(NativeError::State("no chunk listener is set".into()));
    }
    self.start(&consumer, ctx)?;
    let mut r = lock(&self.shared.requests);
    if r.stop {
      return Err(NativeError::State("The consumer is disconnected".into()));
    }
    r.queue.push_back((consumer, bounds, Instant::now()));
    let wake = std::mem::take(&mut r.parked);
    drop(r);
    if wake {
      self.shared.wake();
    }
    Ok(())
  }

  /// Wakes the thread wherever it waits (a seek to apply).
  pub fn wake(&self) {
    self.shared.wake();
  }

  fn start(&self, consumer: &Consumer, ctx: &PollContext) -> NativeResult<()> {
    let mut thread = lock(&self.thread);
    if thread.is_some() {
      return Ok(());
    }
    *self.shared.waker.write().unwrap_or_else(PoisonError::into_inner) = consumer.fetch.as_ref().map(|f| f.waker_handle());
    let shared = self.shared.clone();
    let (state, closed, polling) = (ctx.state.clone(), ctx.closed.clone(), ctx.polling.clone());
    let handle = std::thread::Builder::new()
      .name("kafka-napi consume".into())
      .spawn(move || serve(&shared, &state, &closed, &polling))
      .map_err(|e| NativeError::State(format!("could not start the consumer's poll thread: {e}")))?;
    *thread = Some(handle);
    Ok(())
  }

  /// No more requests; the thread ends once the ones made are answered. Returns the thread, to
  /// be joined off the JS thread (it may be inside a poll for up to one slice).
  pub fn stop(&self) -> Option<JoinHandle<()>> {
    lock(&self.shared.requests).stop = true;
    self.shared.wake();
    lock(&self.thread).take()
  }
}

impl Drop for Poller {
  fn drop(&mut self) {
    // Collected without close(): the thread ends by itself (not joined here, on the JS thread).
    drop(self.stop());
  }
}

impl Shared {
  fn wake(&self) {
    match self.waker.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
      Some(w) => w.signal(),
      None => {
        // Taken so the notification cannot fall between the thread's check and its wait.
        let _r = lock(&self.requests);
        self.asked.notify_all();
      }
    }
  }

  /// The next request in order, None once stopped with none left. `drained_at`: the fetch
  /// waker's generation when the last chunk saw both queues empty (see the module comment).
  fn next_request(&self, mut drained_at: Option<u64>) -> Option<(Arc<Consumer>, Bounds, Instant)> {
    let waker = self.waker.read().unwrap_or_else(PoisonError::into_inner).clone();
    let mut r = lock(&self.requests);
    loop {
      if let Some(next) = r.queue.pop_front() {
        r.parked = false;
        return Some(next);
      }
      if r.stop {
        return None;
      }
      let Some(w) = waker.as_deref() else {
        r.parked = true;
        r = self.asked.wait(r).unwrap_or_else(PoisonError::into_inner);
        continue;
      };
      let seen = w.generation();
      // Nothing came since the queues were last empty: wait for it, not for the request.
      let idle = drained_at == Some(seen);
      r.parked = !idle;
      drop(r);
      w.wait(seen, SLICE);
      if w.generation() != seen {
        drained_at = None;
      }
      r = lock(&self.requests);
    }
  }
}

/// The thread's loop: each request in order, until stopped with none left.
fn serve(shared: &Shared, state: &Mutex<GroupState>, closed: &AtomicBool, polling: &Mutex<()>) {
  let mut drained_at = None;
  while let Some((consumer, mut bounds, asked)) = shared.next_request(drained_at) {
    // Taken up to a slice after it was made (see the module comment): the wait counts from then.
    bounds.wait = bounds.wait.saturating_sub(asked.elapsed());
    let polled = {
      let _polling = lock(polling);
      let polled = poll_chunk(&consumer, state, closed, &bounds);
      // Inside the lock: once `close` holds it, its reference is the last one.
      drop(consumer);
      polled
    };
    drained_at = polled.drained_at;
    if let Some(l) = shared.listener.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
      l.call(Buffer::from(polled.chunk), ThreadsafeFunctionCallMode::NonBlocking);
    }
  }
}
