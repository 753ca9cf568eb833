//! The native consumer: one librdkafka group consumer per JS consumer, and the napi methods of
//! [`NativeConsumer`]. Each step has its own file:
//!
//! - [`poller`]: the consumer's poll thread, answering JS's requests for chunks in order.
//! - [`poll`]: one blocking poll fills one chunk.
//! - [`fetch`]: the queue fetched messages are routed to, taken in batches.
//! - [`chunk`]: the chunk's wire format (messages, rebalances, errors, applied seeks, in order).
//! - [`rebalance`]: the rebalance callback and the state it shares (pauses, seeks, fromBeginning).
//! - [`offsets`]: storing offsets of handled messages and committing them.
//! - [`group`]: topic names and the group's description.
//!
//! # The consume path
//! JS asks for a chunk with `request_chunk` and receives it through its chunk listener (the
//! waiting happens on the consumer's poll thread, never on the event loop; see [`poller`]). One
//! poll runs at a time; it runs while JS handles the previous chunk (`set_busy`). The chunk is one buffer, decoded in JS: no native call and no
//! allocation across the boundary per message.
//!
//! # Offsets
//! `enable.auto.commit` and `enable.auto.offset.store` are forced off: JS stores the offset of a
//! message once its handler has finished, and commits when kafkajs's rules say so. Nothing
//! unhandled is ever committed (at-least-once).
//!
//! # Closing
//! `close` stops the poll loop (within one poll slice), then destroys the consumer off the JS
//! thread: librdkafka leaves the group, which revokes the assignment, which commits the stored
//! offsets first (when asked to).

mod chunk;
mod fetch;
mod group;
mod offsets;
mod poll;
mod poller;
mod rebalance;
mod sasl;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, Function, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::config::{client_config, is_secret, redact};
use crate::error::{NativeError, NativeResult};
use crate::events::EventSink;
use crate::producer::lock;
pub use group::{GroupDescription, GroupMember};
use poll::Bounds;
use poller::{PollContext, Poller};
use rebalance::{tpl_of, ConsumerCtx, GroupState};

type Inner = fetch::Consumer;

/// A librdkafka group consumer with kafkajs-free inputs and outputs.
#[napi]
pub struct NativeConsumer {
  /// Answers OAUTHBEARER token requests; declared first, so it stops before the client goes.
  tokens: Mutex<Option<sasl::TokenServer>>,
  consumer: Mutex<Option<Arc<Inner>>>,
  state: Arc<Mutex<GroupState>>,
  idle: Arc<Condvar>,
  sink: Arc<EventSink>,
  /// `closed` and the `polling` lock, which `close` takes before destroying the consumer.
  poll: PollContext,
  poller: Poller,
  group_id: String,
}

fn blocking_error(e: tokio::task::JoinError) -> NativeError {
  NativeError::State(format!("consumer task failed: {e}"))
}

impl NativeConsumer {
  fn inner(&self) -> NativeResult<Arc<Inner>> {
    lock(&self.consumer)
      .clone()
      .ok_or_else(|| NativeError::State("The consumer is disconnected".into()))
  }

  /// Runs `f` on a blocking thread with the consumer, settling a Promise with its result.
  fn blocking<'env, T, F>(&self, env: &'env Env, f: F) -> napi::Result<PromiseRaw<'env, T>>
  where
    T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
    F: FnOnce(&Inner) -> NativeResult<T> + Send + 'static,
  {
    let inner = self.inner();
    env.spawn_future(async move {
      let inner = inner?;
      let r = tokio::task::spawn_blocking(move || f(&inner)).await.map_err(blocking_error)?;
      Ok(r?)
    })
  }
}

#[napi]
impl NativeConsumer {
  /// `config`: librdkafka properties, `group.id` included. Auto commit and auto offset store are
  /// forced off (see the module comment).
  #[napi(constructor)]
  pub fn new(config: HashMap<String, String>) -> napi::Result<Self> {
    let mut base: Vec<(String, String)> = config.into_iter().collect();
    base.retain(|(k, _)| k != "enable.auto.commit" && k != "enable.auto.offset.store");
    base.push(("enable.auto.commit".into(), "false".into()));
    base.push(("enable.auto.offset.store".into(), "false".into()));
    base.sort();
    let group_id = base
      .iter()
      .find(|(k, _)| k == "group.id")
      .map(|(_, v)| v.clone())
      .ok_or_else(|| NativeError::Config("group.id is required".into()))?;
    let secrets = base.iter().filter(|(k, v)| is_secret(k) && !v.is_empty()).map(|(_, v)| v.clone()).collect();
    let sink = Arc::new(EventSink::new(secrets));
    let state = Arc::new(Mutex::new(GroupState::default()));
    let idle = Arc::new(Condvar::new());
    let ctx = ConsumerCtx {
      sink: sink.clone(),
      state: state.clone(),
      idle: idle.clone(),
      fetch_queue: Default::default(),
    };
    // SASL/OAUTHBEARER: token requests go to a queue of their own, served by [`sasl`]'s thread.
    let oauth = base
      .iter()
      .any(|(k, v)| (k == "sasl.mechanisms" || k == "sasl.mechanism") && v.eq_ignore_ascii_case("OAUTHBEARER"));
    let extra = if oauth {
      vec![("enable_sasl_queue".to_string(), "true".to_string())]
    } else {
      Vec::new()
    };
    let cfg = client_config(&base, &extra)?;
    let base: BaseConsumer<ConsumerCtx> = cfg.create_with_context(ctx).map_err(|e| match NativeError::from(e) {
      NativeError::Config(m) => NativeError::Config(redact(&m, &base)),
      other => other,
    })?;
    Ok(NativeConsumer {
      tokens: Mutex::new(None),
      consumer: Mutex::new(Some(Arc::new(fetch::Consumer::new(base)))),
      poll: PollContext {
        state: state.clone(),
        closed: Arc::new(AtomicBool::new(false)),
        polling: Arc::new(Mutex::new(())),
      },
      state,
      idle,
      sink,
      poller: Poller::new(),
      group_id,
    })
  }

  /// Receives librdkafka logs and client errors as JSON strings. Never keeps the process alive.
  #[napi]
  pub fn set_event_listener(&self, listener: Function<String, ()>) -> napi::Result<()> {
    self.sink.set_listener(listener)
  }

  #[napi]
  pub fn clear_event_listener(&self) {
    self.sink.clear_listener();
  }

  /// SASL/OAUTHBEARER: `provider(requestId)` is called whenever librdkafka needs a token. From
  /// then on the consumer's token requests are answered by its own thread
  /// ([`sasl::TokenServer`]), whether or not anything polls. A consumer collected without
  /// `close` joins that thread as it is dropped: at most the provider's timeout when a request is
  /// being answered then.
  #[napi]
  pub fn set_token_provider(&self, provider: Function<u32, ()>, timeout_ms: u32) -> napi::Result<()> {
    self.sink.set_token_provider(provider, Duration::from_millis(timeout_ms as u64))?;
    let inner = self.inner()?;
    let mut tokens = lock(&self.tokens);
    if tokens.is_none() {
      *tokens = sasl::TokenServer::start(inner.client().native_ptr(), self.sink.clone())
        .map_err(|e| NativeError::State(format!("could not start the SASL token thread: {e}")))?;
    }
    Ok(())
  }

  /// `lifetime_ms`: when the token expires, in ms since the epoch.
  #[napi]
  pub fn resolve_token(&self, request_id: u32, token: String, principal: String, lifetime_ms: f64) {
    self.sink.resolve_token(request_id, token, principal, lifetime_ms);
  }

  #[napi]
  pub fn reject_token(&self, request_id: u32, message: String) {
    self.sink.settle_token(request_id, Err(message));
  }

  /// Every topic name in the cluster (also proves that a broker answers).
  #[napi(ts_return_type = "Promise<string[]>")]
  pub fn topics<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, Vec<String>>> {
    self.blocking(env, move |c| group::topic_names(c, Duration::from_millis(timeout_ms as u64)))
  }

  /// Topic `name`'s state, asked for by name: the broker creates a missing topic when both it and
  /// `allow.auto.create.topics` allow (kafkajs's subscribe does the same).
  #[napi(ts_return_type = "Promise<TopicState>")]
  pub fn topic_state<'env>(&self, env: &'env Env, name: String, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, group::TopicState>> {
    self.blocking(env, move |c| group::topic_state(c, &name, Duration::from_millis(timeout_ms as u64)))
  }

  /// Proves that a broker answers, serving the client errors that explain why not (for connect,
  /// before anything subscribes; see [`group::probe`]).
  #[napi(ts_return_type = "Promise<void>")]
  pub fn probe<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
    let (inner, polling) = (self.inner(), self.poll.polling.clone());
    let timeout = Duration::from_millis(timeout_ms as u64);
    env.spawn_future(async move {
      let inner = inner?;
      let r = tokio::task::spawn_blocking(move || group::probe(inner, &polling, timeout))
        .await
        .map_err(blocking_error)?;
      Ok(r?)
    })
  }

  /// Subscribes to exactly `topics` (replacing any earlier subscription). Partitions of
  /// `from_beginning` topics start at the beginning where the group has no committed offset.
  #[napi]
  pub fn subscribe(&self, topics: Vec<String>, from_beginning: Vec<String>) -> napi::Result<()> {
    let c = self.inner()?;
    lock(&self.state).from_beginning = from_beginning.into_iter().collect();
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    c.subscribe(&names).map_err(NativeError::from)?;
    Ok(())
  }

  /// Leaves the group (the assignment is revoked, committing stored offsets when asked to).
  #[napi]
  pub fn unsubscribe(&self) -> napi::Result<()> {
    self.inner()?.unsubscribe();
    Ok(())
  }

  /// Whether the stored offsets are committed before partitions are revoked (kafkajs's
  /// autoCommit), and how long a revocation waits for JS to finish the chunk it handles.
  #[napi]
  pub fn set_commit_on_revoke(&self, on: bool, wait_ms: u32) {
    let mut s = lock(&self.state);
    s.commit_on_revoke = on;
    s.revoke_wait = Duration::from_millis(wait_ms as u64);
  }

  /// JS is handling a chunk (true) or done with it, its offsets stored (false). A revocation
  /// waits for false (see `rebalance`).
  #[napi]
  pub fn set_busy(&self, busy: bool) {
    lock(&self.state).busy = busy;
    if !busy {
      self.idle.notify_all();
    }
  }

  /// Receives every chunk asked for with `request_chunk`, in request order. Never keeps the
  /// process alive (JS holds the loop while a chunk is asked for).
  #[napi]
  pub fn set_chunk_listener(&self, listener: Function<Buffer, ()>) -> napi::Result<()> {
    self.poller.set_listener(listener)
  }

  #[napi]
  pub fn clear_chunk_listener(&self) {
    self.poller.clear_listener();
  }

  /// Asks for the next chunk (layout in `chunk`), delivered to the chunk listener: it waits up to
  /// `timeout_ms` for the first record, then takes what is already fetched, up to `max_messages`
  /// messages or about `max_bytes` bytes. Empty when nothing came, or when the consumer is closing.
  #[napi]
  pub fn request_chunk(&self, max_messages: u32, max_bytes: u32, timeout_ms: u32) -> napi::Result<()> {
    let bounds = Bounds {
      max_messages: max_messages.max(1) as usize,
      max_bytes: max_bytes.max(1) as usize,
      wait: Duration::from_millis(timeout_ms as u64),
    };
    self.poller.request(self.inner()?, bounds, &self.poll)?;
    Ok(())
  }

  /// Stores the offsets (next to read) of handled messages; returns how many were refused
  /// (partitions no longer assigned).
  #[napi]
  pub fn store_offsets(&self, topics: Vec<String>, partitions: Vec<i32>, offsets: Vec<i64>) -> napi::Result<u32> {
    let c = self.inner()?;
    let tpl = offsets::offsets_tpl(&topics, &partitions, &offsets)?;
    Ok(offsets::store(&c, &tpl))
  }

  /// Commits the given offsets, or (all three empty) every stored offset, waiting for the answer
  /// at most `timeout_ms` (then it fails with `OperationTimedOut`; the offsets stay stored).
  #[napi(ts_return_type = "Promise<void>")]
  pub fn commit<'env>(
    &self,
    env: &'env Env,
    topics: Vec<String>,
    partitions: Vec<i32>,
    offsets: Vec<i64>,
    timeout_ms: u32,
  ) -> napi::Result<PromiseRaw<'env, ()>> {
    let tpl = offsets::offsets_tpl(&topics, &partitions, &offsets)?;
    let timeout = Duration::from_millis(timeout_ms as u64);
    self.blocking(env, move |c| offsets::commit(c, &tpl, timeout))
  }

  /// Moves `topic`/`partition` to `offset` (-2 earliest, -1 latest). Applied by the poll thread,
  /// in order with the fetched messages (a seeked record marks the point); a partition not
  /// assigned yet starts there when it is assigned.
  #[napi]
  pub fn seek(&self, topic: String, partition: i32, offset: i64) {
    lock(&self.state).push_seek(topic, partition, offset);
    // The poll thread may be waiting for something to fetch: the seek is applied by a poll.
    self.poller.wake();
  }

  /// Pauses fetching from `partitions` of `topic` (every partition when absent), now and after
  /// any later assignment.
  #[napi]
  pub fn pause(&self, topic: String, partitions: Option<Vec<i32>>) -> napi::Result<()> {
    let c = self.inner()?;
    let list = lock(&self.state).pause(&topic, partitions);
    if !list.is_empty() {
      c.pause(&tpl_of(&list)).map_err(NativeError::from)?;
    }
    Ok(())
  }

  /// Resumes `partitions` of `topic` (every partition when absent).
  #[napi]
  pub fn resume(&self, topic: String, partitions: Option<Vec<i32>>) -> napi::Result<()> {
    let c = self.inner()?;
    let list = lock(&self.state).resume(&topic, partitions);
    if !list.is_empty() {
      c.resume(&tpl_of(&list)).map_err(NativeError::from)?;
    }
    Ok(())
  }

  /// The high watermark of each partition as of its last fetch (-1 when unknown).
  #[napi]
  pub fn high_watermarks(&self, topics: Vec<String>, partitions: Vec<i32>) -> napi::Result<Vec<i64>> {
    let c = self.inner()?;
    Ok(group::cached_high_watermarks(&c, &topics, &partitions))
  }

  /// The group's description from its coordinator.
  #[napi(ts_return_type = "Promise<GroupDescription>")]
  pub fn describe_group<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, GroupDescription>> {
    let group = self.group_id.clone();
    self.blocking(env, move |c| group::describe(c, &group, Duration::from_millis(timeout_ms as u64)))
  }

  /// Stops polling, leaves the group (committing stored offsets first when asked to) and destroys
  /// the consumer, off the JS thread. Safe to call more than once.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
    self.poll.closed.store(true, Ordering::Release);
    lock(&self.state).closing = true;
    self.idle.notify_all();
    let inner = lock(&self.consumer).take();
    if let Some(f) = inner.as_ref().and_then(|c| c.fetch.as_ref()) {
      f.waker().signal();
    }
    let polling = self.poll.polling.clone();
    let thread = self.poller.stop();
    let tokens = lock(&self.tokens).take();
    env.spawn_future(async move {
      tokio::task::spawn_blocking(move || {
        // The token thread uses the client: it stops first (within a slice, or once the token
        // request it is answering has its answer or times out).
        drop(tokens);
        // The poll in flight ends within one slice; then this is the last reference, and dropping
        // it closes the consumer (rust-rdkafka serves the final revocation while closing).
        let polled = lock(&polling);
        drop(inner);
        drop(polled);
        // The requests made before close are answered (empty chunks), then the thread ends.
        if let Some(t) = thread {
          let _ = t.join();
        }
      })
      .await
      .map_err(blocking_error)?;
      Ok(())
    })
  }
}
