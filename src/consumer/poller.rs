//! The poll thread: one per consumer, filling the chunks JS asks for, in order.
//!
//! A chunk used to be an async napi call: a Promise made per call (napi-rs makes a threadsafe
//! function for every deferred), a task on napi's tokio runtime, and a blocking task under it.
//! Each chunk then crossed four threads (JS, a tokio worker, a blocking thread, the worker again,
//! JS), and at one message per chunk (a consumer keeping up with a slow producer) the call alone
//! took about 85 µs of the JS thread in a profile of the Nest example.
//!
//! Here JS asks with [`Poller::request`] (a lock and a condition-variable signal, no Promise),
//! the consumer's own thread runs [`poll_chunk`] for each request in order, and hands every chunk
//! to JS through one threadsafe function made once per consumer: one hand-off each way. The
//! Promise is made in JS (`lib/consumer/chunks.js`), which also keeps the event loop alive while
//! a chunk is asked for (the threadsafe function is weak).
//!
//! The thread starts with the first request and ends after [`Poller::stop`] once every request
//! made before is answered (by an empty chunk when the consumer is closing). It holds the
//! consumer only while it polls, under the `polling` lock `close` waits for.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;

use napi::bindgen_prelude::{Buffer, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use super::fetch::Consumer;
use super::poll::{poll_chunk, Bounds};
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
  queue: VecDeque<(Arc<Consumer>, Bounds)>,
  stop: bool,
}

#[derive(Default)]
struct Shared {
  requests: Mutex<Requests>,
  asked: Condvar,
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
    self.start(ctx)?;
    let mut r = lock(&self.shared.requests);
    if r.stop {
      return Err(NativeError::State("The consumer is disconnected".into()));
    }
    r.queue.push_back((consumer, bounds));
    drop(r);
    self.shared.asked.notify_one();
    Ok(())
  }

  fn start(&self, ctx: &PollContext) -> NativeResult<()> {
    let mut thread = lock(&self.thread);
    if thread.is_some() {
      return Ok(());
    }
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
    self.shared.asked.notify_all();
    lock(&self.thread).take()
  }
}

impl Drop for Poller {
  fn drop(&mut self) {
    // Collected without close(): the thread ends by itself (not joined here, on the JS thread).
    drop(self.stop());
  }
}

/// The thread's loop: each request in order, until stopped with none left.
fn serve(shared: &Shared, state: &Mutex<GroupState>, closed: &AtomicBool, polling: &Mutex<()>) {
  loop {
    let (consumer, bounds) = {
      let mut r = lock(&shared.requests);
      loop {
        if let Some(next) = r.queue.pop_front() {
          break next;
        }
        if r.stop {
          return;
        }
        r = shared.asked.wait(r).unwrap_or_else(PoisonError::into_inner);
      }
    };
    let chunk = {
      let _polling = lock(polling);
      let chunk = poll_chunk(&consumer, state, closed, &bounds);
      // Inside the lock: once `close` holds it, its reference is the last one.
      drop(consumer);
      chunk
    };
    if let Some(l) = shared.listener.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
      l.call(Buffer::from(chunk), ThreadsafeFunctionCallMode::NonBlocking);
    }
  }
}
