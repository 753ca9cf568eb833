//! The native producer: librdkafka clients per send profile, and the napi methods of
//! [`NativeProducer`] (send, completions, metadata, close). Each step of the send path has its
//! own file:
//!
//! - [`wire`]: the two wire formats, packed sends in ([`wire::Reader`]) and completions out
//!   ([`wire::write_completion`]).
//! - [`enqueue`]: handing a send's messages to librdkafka; [`enqueuer`]: the ordered thread that
//!   does it for large sends; [`batch`]: runs of plain messages in one `rd_kafka_produce_batch`.
//! - [`metadata`]: cluster metadata for `connect` and the partitioners.
//! - [`close`]: delivering, cancelling and purging what is left when the producer closes.
//! - delivery reports and their aggregation per send: [`crate::delivery`] and [`crate::client`].
//!
//! # Profiles
//! `acks`, the broker-side request timeout and the compression codec are *topic* properties in
//! librdkafka, fixed when a client is created, while kafkajs takes them per `send`. A profile is
//! one such combination (as property overrides); each gets its own client, created when the
//! profile is first registered and shared by every send that uses it afterwards. Most apps use
//! one profile, so they have one client.
//!
//! # The send path
//! JS packs a whole `send`/`sendBatch` into one buffer (layout in [`wire::Reader`]), gives it an
//! id, and hands every send of one event-loop turn over in one synchronous call. Runs of plain
//! messages are enqueued with `rd_kafka_produce_batch`, the others one by one with
//! `rd_kafka_producev` (both non-blocking), each message's delivery opaque pointing at the
//! send's [`Batch`]. A small send (up to [`enqueue::INLINE_MESSAGES`]) is enqueued right on the
//! JS thread, the lowest latency, and librdkafka copies its bytes (JS reuses its pack buffer); a
//! larger one, or any send while earlier ones are still being enqueued, is copied once and goes
//! to the ordered [`enqueuer::Enqueuer`], a thread of the producer's own, so the event loop is
//! not held for a whole batch and call order is kept. Its runs are handed over without a further
//! copy: the batch keeps the bytes until its last delivery report ([`batch::Payloads`]). The
//! enqueuer also waits for room when librdkafka's queue is full, up to `maxBlockMs`. When the
//! last delivery report of a send arrives, its outcome joins the producer's completion queue,
//! which wakes the JS thread once per burst; JS drains every finished send in one call (as one
//! buffer) and settles its own Promises. Delivery reports are served on the JS thread itself,
//! inside that drain (see [`crate::client`]). No Promise, task or threadsafe function is created
//! per send.
//!
//! # Never a hung send
//! Each message's [`Pending`] opaque settles its batch exactly once: by its delivery report, by an
//! enqueue error, or, if librdkafka destroys it without a report, by its `Drop`.

pub(crate) mod batch;
mod close;
mod enqueue;
mod enqueuer;
mod metadata;
#[cfg(test)]
mod offline;
mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::{Buffer, Function, PromiseRaw, Uint32Array};
use napi::Env;
use napi_derive::napi;
use rdkafka::producer::BaseProducer;

use crate::client::{Client, SERVE_BUDGET};
use crate::config::{client_config, is_secret, redact};
#[cfg(doc)]
use crate::delivery::Pending;
use crate::delivery::{Batch, Completions};
use crate::error::{NativeError, NativeResult};
use crate::events::{Context, EventSink};
use crate::threads::create_niced;
use batch::Payloads;
use enqueue::{enqueue, Enqueued, INLINE_MESSAGES};
use enqueuer::EnqueueJob;
pub(crate) use enqueuer::Enqueuer;
pub use metadata::{BrokerInfo, ClusterInfo, PartitionInfo, TopicInfo};
pub use wire::Reader;
use wire::{read_topics, write_completion};

#[napi(object)]
pub struct CloseResult {
  /// Messages still queued or in flight when the flush bound ran out (their sends were rejected).
  pub unflushed: i32,
}

struct Profile {
  enqueue_timeout: Duration,
  client: Option<Arc<Client>>,
}

/// A librdkafka producer (one client per send profile) with kafkajs-free, canonical inputs.
#[napi]
pub struct NativeProducer {
  base: Vec<(String, String)>,
  sink: Arc<EventSink>,
  profiles: Mutex<Vec<Profile>>,
  /// Set by `close`: long waits (metadata) stop early once closed.
  closed: Arc<AtomicBool>,
  completions: Arc<Completions>,
  enqueuer: Arc<Enqueuer>,
  /// Serve delivery reports on a polling thread instead of the JS thread (see crate::client).
  poll_thread: bool,
  /// Nice increment for the librdkafka threads of every client (crate::threads).
  io_thread_nice: i32,
}

impl Drop for NativeProducer {
  /// A producer collected without `close` does not leave its enqueue thread behind.
  fn drop(&mut self) {
    self.enqueuer.release();
  }
}

/// Locks `m`, poisoned or not: every mutex here guards data that stays valid if a holder
/// panicked (queues, lists), and losing it would lose work (a send never settled, a client never
/// closed).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl NativeProducer {
  pub(crate) fn client_of(&self, profile: u32) -> NativeResult<(Arc<Client>, Duration)> {
    self.client(profile)
  }

  pub(crate) fn enqueuer(&self) -> &Arc<Enqueuer> {
    &self.enqueuer
  }

  fn client(&self, profile: u32) -> NativeResult<(Arc<Client>, Duration)> {
    let profiles = lock(&self.profiles);
    let p = profiles
      .get(profile as usize)
      .ok_or_else(|| NativeError::Input(format!("unknown send profile {profile}")))?;
    let client = p.client.clone().ok_or_else(|| NativeError::State("The producer is disconnected".into()))?;
    Ok((client, p.enqueue_timeout))
  }

  fn create_client(&self, overrides: &[(String, String)]) -> NativeResult<Arc<Client>> {
    let cfg = client_config(&self.base, overrides)?;
    let context = Context { sink: self.sink.clone() };
    let created = create_niced(self.io_thread_nice, || Ok(cfg.create_with_context::<Context, BaseProducer<Context>>(context)))?;
    let client: BaseProducer<Context> = created.map_err(|e| match NativeError::from(e) {
      NativeError::Config(m) => NativeError::Config(redact(&m, &self.base)),
      NativeError::Kafka { code, name, message } => NativeError::Kafka {
        code,
        name,
        message: redact(&message, &self.base),
      },
      other => other,
    })?;
    Ok(Arc::new(Client::new(client, &self.completions, self.poll_thread)?))
  }

  /// One send of `NativeProducer::send`.
  fn send_one(&self, profile: u32, id: u32, packed: &[u8]) -> NativeResult<()> {
    let (client, enqueue_timeout) = self.client(profile)?;
    let (topics, count, start) = {
      let mut r = Reader::new(packed);
      let topics = read_topics(&mut r)?;
      let count = r.u32()?;
      (topics, count, r.pos)
    };
    let batch = Batch::new(id, count as usize, self.completions.clone());
    let job = |pos: usize, index: u32| EnqueueJob {
      client: client.clone(),
      batch: batch.clone(),
      topics: topics.iter().map(|t| t.to_string()).collect(),
      data: Arc::from(packed),
      pos,
      index,
      count,
      deadline: Instant::now() + enqueue_timeout,
    };
    // Sends are enqueued in call order. While the enqueue thread has work, every send joins its
    // queue; otherwise a small send is enqueued right here (lowest latency) and a large one goes
    // to the thread, so the event loop is not held for the whole batch.
    if self.enqueuer.busy() || count > INLINE_MESSAGES {
      self.enqueuer.push(job(start, 0));
      return Ok(());
    }
    let mut r = Reader::at(packed, start);
    let mut index = 0u32;
    if let Enqueued::QueueFull(pos) = enqueue(&client, &batch, &topics, &mut r, &mut index, count, count, Payloads::Copied) {
      self.enqueuer.push(job(pos, index));
    }
    Ok(())
  }

  fn all_clients(&self) -> Vec<Arc<Client>> {
    lock(&self.profiles).iter().filter_map(|p| p.client.clone()).collect()
  }
}

#[napi]
impl NativeProducer {
  /// `config`: librdkafka properties shared by every profile of this producer.
  /// `io_thread_nice`: how much lower than the creating thread's the priority of the clients'
  /// librdkafka threads is (a nice increment, 0 to 19; Linux only; see crate::threads).
  #[napi(constructor)]
  pub fn new(config: HashMap<String, String>, io_thread_nice: Option<i32>) -> napi::Result<Self> {
    let mut base: Vec<(String, String)> = config.into_iter().collect();
    base.sort();
    let secrets = base.iter().filter(|(k, v)| is_secret(k) && !v.is_empty()).map(|(_, v)| v.clone()).collect();
    // OAUTHBEARER token requests arrive on the queue that carries delivery reports, and are
    // answered by a JS callback: that queue cannot be served by the JS thread.
    let poll_thread = base
      .iter()
      .any(|(k, v)| (k == "sasl.mechanisms" || k == "sasl.mechanism") && v.trim().eq_ignore_ascii_case("OAUTHBEARER"));
    // Validate the shared map now, so a bad property fails at construction.
    client_config(&base, &[])?;
    let io_thread_nice = io_thread_nice.unwrap_or(0).clamp(0, 19);
    Ok(NativeProducer {
      base,
      sink: Arc::new(EventSink::new(secrets)),
      profiles: Mutex::new(Vec::new()),
      closed: Arc::new(AtomicBool::new(false)),
      completions: Arc::new(Completions::default()),
      enqueuer: Arc::new(Enqueuer::new(io_thread_nice)),
      poll_thread,
      io_thread_nice,
    })
  }

  /// Receives librdkafka logs and client errors as JSON strings. Never keeps the process alive.
  #[napi]
  pub fn set_event_listener(&self, listener: Function<String, ()>) -> napi::Result<()> {
    self.sink.set_listener(listener)
  }

  /// Registers a send profile (topic-level overrides such as `request.required.acks`) and creates
  /// its client. `enqueue_timeout_ms` bounds how long a send waits for room in a full queue.
  #[napi]
  pub fn add_profile(&self, overrides: HashMap<String, String>, enqueue_timeout_ms: u32) -> napi::Result<u32> {
    let mut overrides: Vec<(String, String)> = overrides.into_iter().collect();
    overrides.sort();
    let client = self.create_client(&overrides)?;
    let mut profiles = lock(&self.profiles);
    profiles.push(Profile {
      enqueue_timeout: Duration::from_millis(enqueue_timeout_ms as u64),
      client: Some(client),
    });
    Ok((profiles.len() - 1) as u32)
  }

  /// Fetches cluster metadata through `profile`'s client: brokers, and `topic` (or every topic).
  #[napi(ts_return_type = "Promise<ClusterInfo>")]
  pub fn metadata<'env>(&self, env: &'env Env, profile: u32, topic: Option<String>, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ClusterInfo>> {
    let (client, _) = self.client(profile)?;
    let closed = self.closed.clone();
    env.spawn_future(async move {
      let timeout = Duration::from_millis(timeout_ms as u64);
      tokio::task::spawn_blocking(move || metadata::fetch(&client, topic.as_deref(), timeout, &closed))
        .await
        .map_err(|e| NativeError::State(format!("metadata task failed: {e}")))?
        .map_err(Into::into)
    })
  }

  /// Enqueues sends in call order. `meta` holds four numbers per send: profile, send id, and
  /// the offset and length of its bytes in `packed`. Returns at once; each send's outcome
  /// arrives later through `takeCompletions` (see the completion listener), including a send
  /// refused whole (unknown profile, closed, malformed). Nothing of `packed` is kept after the
  /// call: JS reuses that buffer.
  ///
  /// JS hands over every send made in one turn of its event loop in one call, so their messages
  /// reach librdkafka's queue back to back and its broker thread finds them together: fewer,
  /// fuller produce requests than with one crossing per send.
  ///
  /// Returns the enqueue backlog in bytes after the call (see `enqueueBacklogBytes`): JS admits
  /// the next sends against it without a native call of their own. Until the next call it can
  /// only shrink, so it is a safe upper bound.
  #[napi]
  pub fn send(&self, meta: Uint32Array, packed: Buffer) -> napi::Result<f64> {
    if !meta.len().is_multiple_of(4) {
      return Err(NativeError::Input("send: meta must hold profile, id, offset and length per send".into()).into());
    }
    for m in meta.chunks_exact(4) {
      let (profile, id, offset, len) = (m[0], m[1], m[2] as usize, m[3] as usize);
      let bytes = offset
        .checked_add(len)
        .and_then(|end| packed.get(offset..end))
        .ok_or_else(|| NativeError::Input("malformed message batch (send outside the buffer)".into()));
      if let Err(e) = bytes.and_then(|b| self.send_one(profile, id, b)) {
        let err: napi::Error = e.into();
        self.completions.refuse(id, err.reason);
      }
    }
    Ok(self.enqueuer.backlog_bytes() as f64)
  }

  /// Called (weakly: it never holds the process open) when finished sends are waiting.
  #[napi]
  pub fn set_completion_listener(&self, listener: Function<u32, ()>) -> napi::Result<()> {
    self.completions.set_listener(listener)
  }

  /// Stops the completion wake-ups (after close and the last `takeCompletions`), releasing the
  /// listener so the producer can be garbage-collected.
  #[napi]
  pub fn clear_completion_listener(&self) {
    self.completions.clear_listener();
  }

  /// Every send finished since the last call, packed (layout on `write_completion`).
  #[napi]
  pub fn take_completions(&self) -> Buffer {
    let clients = self.all_clients();
    let deadline = Instant::now() + SERVE_BUDGET;
    let done = self.completions.take(|| clients.iter().for_each(|c| c.serve(deadline)));
    let mut out = Vec::with_capacity(done.len() * 32);
    for (id, outcome) in done {
      write_completion(&mut out, id, outcome);
    }
    out.into()
  }

  /// Bytes held by sends still in the enqueue path (their copies of the packed messages, kept
  /// until every message is handed to librdkafka). JS holds new sends back while this is above
  /// its limit; nothing here blocks the JS thread.
  #[napi]
  pub fn enqueue_backlog_bytes(&self) -> f64 {
    self.enqueuer.backlog_bytes() as f64
  }

  /// Delivers what it can within `timeout_ms`, fails the rest, and destroys every client (the
  /// steps and their bounds: [`close::close_clients`]). `unflushed` counts the messages not
  /// delivered by the deadline.
  #[napi(ts_return_type = "Promise<CloseResult>")]
  pub fn close<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, CloseResult>> {
    self.closed.store(true, Ordering::Release);
    let clients: Vec<Arc<Client>> = lock(&self.profiles).iter_mut().filter_map(|p| p.client.take()).collect();
    let enqueuer = self.enqueuer.clone();
    // Every send made before now; none can follow, the clients are gone.
    let mark = enqueuer.mark();
    env.spawn_future(async move {
      let timeout = Duration::from_millis(timeout_ms as u64);
      let unflushed = tokio::task::spawn_blocking(move || {
        let unflushed = close::close_clients(clients, &enqueuer, mark, timeout);
        enqueuer.release();
        unflushed
      })
      .await
      .map_err(|e| NativeError::State(format!("close task failed: {e}")))?;
      Ok(CloseResult { unflushed })
    })
  }

  /// SASL/OAUTHBEARER: `provider(requestId)` is called whenever librdkafka needs a token; it
  /// must answer with `resolveToken` or `rejectToken` within `timeout_ms`.
  #[napi]
  pub fn set_token_provider(&self, provider: Function<u32, ()>, timeout_ms: u32) -> napi::Result<()> {
    self.sink.set_token_provider(provider, Duration::from_millis(timeout_ms as u64))
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

  /// Stops forwarding events and token requests (called on disconnect so nothing is delivered
  /// afterwards, and so the JS callbacks no longer keep the producer alive).
  #[napi]
  pub fn clear_event_listener(&self) {
    self.sink.clear_listener();
  }
}

#[cfg(test)]
mod wire_tests;

#[cfg(test)]
mod lock_tests {
  use super::lock;
  use std::sync::{Arc, Mutex};

  /// A holder that panicked poisons the mutex; `lock` still hands out the guard (and the data the
  /// holder left), so a queue or client list is never lost to one panic.
  #[test]
  fn a_poisoned_mutex_still_yields_its_guard() {
    let m = Arc::new(Mutex::new(vec![1]));
    let holder = m.clone();
    let panicked = std::thread::spawn(move || {
      let mut g = holder.lock().unwrap();
      g.push(2);
      panic!("a holder panics with the lock held (expected in this test)");
    })
    .join();
    assert!(panicked.is_err());
    assert!(m.is_poisoned());
    let mut g = lock(&m);
    assert_eq!(*g, vec![1, 2]);
    g.push(3);
    drop(g);
    assert_eq!(*lock(&m), vec![1, 2, 3]);
  }
}
