//! The native producer: librdkafka clients per send profile, the packed-batch send path,
//! metadata, flush and close.
//!
//! # Profiles
//! `acks`, the broker-side request timeout and the compression codec are *topic* properties in
//! librdkafka, fixed when a client is created, while kafkajs takes them per `send`. A profile is
//! one such combination (as property overrides); each gets its own client, created when the
//! profile is first registered and shared by every send that uses it afterwards. Most apps use
//! one profile, so they have one client.
//!
//! # The send path
//! JS packs a whole `send`/`sendBatch` into one buffer (layout in [`Reader`]), gives it an id,
//! and hands every send of one event-loop turn over in one synchronous call. Each message is
//! enqueued with `rd_kafka_producev` (non-blocking, copying the bytes), its delivery opaque
//! pointing at the send's [`Batch`]. A small send (up to [`INLINE_MESSAGES`]) is enqueued right
//! on the JS thread, the lowest latency; a larger one, or any send while earlier ones are still
//! being enqueued, goes to the ordered [`Enqueuer`], one task on napi's tokio runtime, so the
//! event loop is not held for a whole batch and call order is kept. The enqueuer also waits for
//! room when librdkafka's queue is full, up to `maxBlockMs`. When the last delivery report of a
//! send arrives, its outcome joins the producer's completion queue, which wakes the JS thread
//! once per burst; JS drains every finished send in one call (as one buffer) and settles its own
//! Promises. Delivery reports are served on the JS thread itself, inside that drain (see
//! [`crate::client`]). No Promise, task or threadsafe function is created per send.
//!
//! # Never a hung send
//! Each message's [`Pending`] opaque settles its batch exactly once: by its delivery report, by an
//! enqueue error, or, if librdkafka destroys it without a report, by its `Drop`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::{Buffer, Function, PromiseRaw, Uint32Array};
use napi::Env;
use napi_derive::napi;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, PurgeConfig};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use crate::client::Client;
use crate::config::{client_config, is_secret, redact};
use crate::delivery::{Batch, Completions, Pending, SendOutcome};
use crate::error::{code_parts, MessageFailure, NativeError, NativeResult};
use crate::events::{Context, EventSink};

/// Marks a failed send in the completion buffer (in place of its partition count).
const FAILED: u32 = u32::MAX;

/// Appends one finished send to the completion buffer that `takeCompletions` hands to JS (read
/// by `SendTracker.drain` in lib/producer.js). All integers little-endian:
///
/// ```text
/// u32 id, then either
///   u32 partitionCount, per partition (sorted by topic, partition):
///     u32 topic index, i32 partition, i64 base offset, i64 log append time
///   or u32 0xFFFFFFFF (failed), u32 len, utf8 JSON error payload (as thrown errors carry)
/// ```
///
/// A base offset is the lowest offset the send got in the partition, -1 when unknown (acks=0, or
/// an idempotent retry found the message already stored); the log append time is the broker's
/// time in ms when the topic uses LogAppendTime, else -1. One buffer per drain instead of a JS
/// object per send and partition: building those through napi cost more than the send itself.
fn write_completion(out: &mut Vec<u8>, id: u32, outcome: SendOutcome) {
  out.extend_from_slice(&id.to_le_bytes());
  let reason = match outcome {
    Err(reason) => Err(reason),
    Ok(o) if !o.failures.is_empty() => {
      let mut failures = o.failures;
      failures.sort_by_key(|f| f.index);
      let err: napi::Error = NativeError::Delivery { failures }.into();
      Err(err.reason)
    }
    Ok(o) => Ok(o),
  };
  let outcome = match reason {
    Ok(o) => o,
    Err(reason) => {
      out.extend_from_slice(&FAILED.to_le_bytes());
      out.extend_from_slice(&(reason.len() as u32).to_le_bytes());
      out.extend_from_slice(reason.as_bytes());
      return;
    }
  };
  let mut parts: Vec<_> = outcome.partitions.into_iter().collect();
  parts.sort_unstable_by_key(|(k, _)| *k);
  out.extend_from_slice(&(parts.len() as u32).to_le_bytes());
  for ((topic, partition), p) in parts {
    out.extend_from_slice(&topic.to_le_bytes());
    out.extend_from_slice(&partition.to_le_bytes());
    // librdkafka reports a negative offset when it knows the message is stored but not where
    // (acks=0, or an idempotent retry answered DUPLICATE_SEQUENCE_NUMBER): say -1, unknown.
    out.extend_from_slice(&p.base_offset.max(-1).to_le_bytes());
    out.extend_from_slice(&p.log_append_time.to_le_bytes());
  }
}

#[napi(object)]
pub struct PartitionInfo {
  pub partition_id: i32,
  pub leader: i32,
  pub replicas: Vec<i32>,
  pub isr: Vec<i32>,
  pub partition_error_code: i32,
}

#[napi(object)]
pub struct TopicInfo {
  pub topic: String,
  pub error_code: i32,
  pub partitions: Vec<PartitionInfo>,
}

#[napi(object)]
pub struct BrokerInfo {
  pub node_id: i32,
  pub host: String,
  pub port: i32,
}

#[napi(object)]
pub struct ClusterInfo {
  pub brokers: Vec<BrokerInfo>,
  pub topics: Vec<TopicInfo>,
}

#[napi(object)]
pub struct CloseResult {
  /// Messages still queued or in flight when the flush bound ran out (their sends were rejected).
  pub unflushed: i32,
}

/// Sends of more messages than this are enqueued off the JS thread.
const INLINE_MESSAGES: u32 = 64;

/// What is left to enqueue of one send.
struct EnqueueJob {
  client: Arc<Client>,
  batch: Arc<Batch>,
  topics: Vec<String>,
  /// The send's bytes, copied: JS reuses its pack buffer as soon as the call returns.
  data: Vec<u8>,
  pos: usize,
  index: u32,
  count: u32,
  /// Past this, a full local queue fails the rest of the send (maxBlockMs).
  deadline: Instant,
}

/// The ordered enqueue path: one task at a time on napi's tokio runtime works through the jobs
/// in call order, waiting for room when librdkafka's queue is full.
#[derive(Default)]
struct Enqueuer {
  jobs: Mutex<VecDeque<EnqueueJob>>,
  running: AtomicBool,
}

impl Enqueuer {
  fn busy(&self) -> bool {
    self.running.load(Ordering::Acquire)
  }

  fn push(self: &Arc<Self>, job: EnqueueJob) {
    if let Ok(mut q) = self.jobs.lock() {
      q.push_back(job);
    }
    if !self.running.swap(true, Ordering::AcqRel) {
      let me = self.clone();
      napi::bindgen_prelude::spawn(async move { me.work().await });
    }
  }

  fn next(&self) -> Option<EnqueueJob> {
    self.jobs.lock().ok().and_then(|mut q| q.pop_front())
  }

  async fn work(&self) {
    loop {
      let Some(mut job) = self.next() else {
        self.running.store(false, Ordering::Release);
        // A push may have raced with the store: take the work back if nobody else did.
        if self.jobs.lock().map(|q| q.is_empty()).unwrap_or(true) || self.running.swap(true, Ordering::AcqRel) {
          return;
        }
        continue;
      };
      loop {
        let mut r = Reader { buf: &job.data, pos: job.pos };
        match enqueue(&job.client, &job.batch, &job.topics, &mut r, &mut job.index, job.count) {
          Enqueued::All => break,
          Enqueued::QueueFull(pos) => {
            job.pos = pos;
            if Instant::now() >= job.deadline {
              let msg = "local queue full past maxBlockMs (queue.buffering.max.messages / .kbytes)";
              fail_rest(&job.batch, job.index, job.count, RDKafkaErrorCode::QueueFull as i32, "QUEUE_FULL", msg);
              break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
          }
        }
      }
    }
  }
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
}

fn queue_full(err: &KafkaError) -> bool {
  matches!(err, KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull))
}

/// Reads the packed batch written by `lib/pack.js`. All integers little-endian:
///
/// ```text
/// u32 topicCount, then per topic: u32 len, utf8 bytes
/// u32 messageCount, then per message:
///   u32 topic index, i32 partition (-1: let librdkafka choose), f64 timestamp ms (0: now),
///   i32 keyLen (-1: null) + bytes, i32 valueLen (-1: null) + bytes,
///   u32 headerCount, then per header: u32 nameLen + utf8 bytes, i32 valueLen (-1: null) + bytes
/// ```
pub struct Reader<'a> {
  buf: &'a [u8],
  pos: usize,
}

impl<'a> Reader<'a> {
  pub fn new(buf: &'a [u8]) -> Self {
    Reader { buf, pos: 0 }
  }

  fn take(&mut self, n: usize) -> NativeResult<&'a [u8]> {
    let end = self
      .pos
      .checked_add(n)
      .filter(|e| *e <= self.buf.len())
      .ok_or_else(|| NativeError::Input("malformed message batch (truncated)".into()))?;
    let s = &self.buf[self.pos..end];
    self.pos = end;
    Ok(s)
  }

  fn u32(&mut self) -> NativeResult<u32> {
    let b = self.take(4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
  }

  fn i32(&mut self) -> NativeResult<i32> {
    Ok(self.u32()? as i32)
  }

  fn f64(&mut self) -> NativeResult<f64> {
    let b = self.take(8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(f64::from_le_bytes(a))
  }

  fn opt_bytes(&mut self) -> NativeResult<Option<&'a [u8]>> {
    let len = self.i32()?;
    if len < 0 {
      return Ok(None);
    }
    Ok(Some(self.take(len as usize)?))
  }

  fn str(&mut self) -> NativeResult<&'a str> {
    let len = self.u32()? as usize;
    std::str::from_utf8(self.take(len)?).map_err(|_| NativeError::Input("malformed message batch (invalid UTF-8 name)".into()))
  }
}

struct Message<'a> {
  topic: u32,
  partition: i32,
  timestamp: f64,
  key: Option<&'a [u8]>,
  value: Option<&'a [u8]>,
  headers: Option<OwnedHeaders>,
}

fn read_message<'a>(r: &mut Reader<'a>) -> NativeResult<Message<'a>> {
  let topic = r.u32()?;
  let partition = r.i32()?;
  let timestamp = r.f64()?;
  let key = r.opt_bytes()?;
  let value = r.opt_bytes()?;
  let count = r.u32()?;
  let headers = if count == 0 {
    None
  } else {
    let mut h = OwnedHeaders::new_with_capacity(count.min(1024) as usize);
    for _ in 0..count {
      let name = r.str()?;
      let value = r.opt_bytes()?;
      h = h.insert(Header { key: name, value });
    }
    Some(h)
  };
  Ok(Message {
    topic,
    partition,
    timestamp,
    key,
    value,
    headers,
  })
}

/// The send's topic names, borrowed from its bytes (copied only if it goes to the enqueuer).
fn read_topics<'a>(r: &mut Reader<'a>) -> NativeResult<Vec<&'a str>> {
  let n = r.u32()?;
  let mut topics = Vec::with_capacity(n.min(4096) as usize);
  for _ in 0..n {
    topics.push(r.str()?);
  }
  Ok(topics)
}

/// Where the enqueue loop stopped.
enum Enqueued {
  All,
  /// librdkafka's queue is full; resume at this buffer position with this message index.
  QueueFull(usize),
}

/// Enqueues messages `*index..count` from `r`. Every message is accounted for in `batch`:
/// enqueued (its report will come), failed now, or left for a later call (queue full).
fn enqueue<T: AsRef<str>>(client: &Client, batch: &Arc<Batch>, topics: &[T], r: &mut Reader<'_>, index: &mut u32, count: u32) -> Enqueued {
  while *index < count {
    let start = r.pos;
    let msg = match read_message(r) {
      Ok(m) => m,
      Err(e) => {
        fail_rest(batch, *index, count, -186, "INVALID_ARG", &format!("{e:?}"));
        *index = count;
        return Enqueued::All;
      }
    };
    let Some(topic) = topics.get(msg.topic as usize).map(AsRef::as_ref) else {
      fail_rest(batch, *index, count, -186, "INVALID_ARG", "malformed message batch (topic index)");
      *index = count;
      return Enqueued::All;
    };
    let pending = Box::new(Pending::new(batch.clone(), *index, msg.topic));
    let mut record: BaseRecord<'_, [u8], [u8], Box<Pending>> = BaseRecord::with_opaque_to(topic, pending);
    if let Some(k) = msg.key {
      record = record.key(k);
    }
    if let Some(v) = msg.value {
      record = record.payload(v);
    }
    if msg.partition >= 0 {
      record = record.partition(msg.partition);
    }
    if msg.timestamp > 0.0 {
      record = record.timestamp(msg.timestamp as i64);
    }
    if let Some(h) = msg.headers {
      record = record.headers(h);
    }
    match client.send(record) {
      Ok(()) => {}
      Err((err, rec)) if queue_full(&err) => {
        rec.delivery_opaque.disarm();
        r.pos = start;
        return Enqueued::QueueFull(start);
      }
      Err((err, rec)) => {
        let code = err.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail);
        let (code, name, text) = code_parts(code);
        rec.delivery_opaque.fail(msg.partition, code, name, text);
      }
    }
    *index += 1;
  }
  Enqueued::All
}

/// Fails messages `from..count` that cannot be read or enqueued (topic unknown to the caller).
fn fail_rest(batch: &Arc<Batch>, from: u32, count: u32, code: i32, name: &str, message: &str) {
  batch.abandon(
    (from..count)
      .map(|index| MessageFailure {
        index,
        topic: u32::MAX,
        partition: -1,
        code,
        name: name.into(),
        message: message.into(),
      })
      .collect(),
  );
}

fn topic_info(t: &rdkafka::metadata::MetadataTopic) -> TopicInfo {
  TopicInfo {
    topic: t.name().to_string(),
    error_code: t.error().map_or(0, |e| RDKafkaErrorCode::from(e) as i32),
    partitions: t
      .partitions()
      .iter()
      .map(|p| PartitionInfo {
        partition_id: p.id(),
        leader: p.leader(),
        replicas: p.replicas().to_vec(),
        isr: p.isr().to_vec(),
        partition_error_code: p.error().map_or(0, |e| RDKafkaErrorCode::from(e) as i32),
      })
      .collect(),
  }
}

impl NativeProducer {
  pub(crate) fn client_of(&self, profile: u32) -> NativeResult<(Arc<Client>, Duration)> {
    self.client(profile)
  }

  fn client(&self, profile: u32) -> NativeResult<(Arc<Client>, Duration)> {
    let profiles = self.profiles.lock().map_err(|_| NativeError::State("producer state poisoned".into()))?;
    let p = profiles
      .get(profile as usize)
      .ok_or_else(|| NativeError::Input(format!("unknown send profile {profile}")))?;
    let client = p.client.clone().ok_or_else(|| NativeError::State("The producer is disconnected".into()))?;
    Ok((client, p.enqueue_timeout))
  }

  fn create_client(&self, overrides: &[(String, String)]) -> NativeResult<Arc<Client>> {
    let cfg = client_config(&self.base, overrides)?;
    let context = Context { sink: self.sink.clone() };
    let client: BaseProducer<Context> = cfg.create_with_context(context).map_err(|e| match NativeError::from(e) {
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
      data: packed.to_vec(),
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
    let mut r = Reader { buf: packed, pos: start };
    let mut index = 0u32;
    if let Enqueued::QueueFull(pos) = enqueue(&client, &batch, &topics, &mut r, &mut index, count) {
      self.enqueuer.push(job(pos, index));
    }
    Ok(())
  }

  fn all_clients(&self) -> Vec<Arc<Client>> {
    match self.profiles.lock() {
      Ok(p) => p.iter().filter_map(|p| p.client.clone()).collect(),
      Err(_) => Vec::new(),
    }
  }
}

#[napi]
impl NativeProducer {
  /// `config`: librdkafka properties shared by every profile of this producer.
  #[napi(constructor)]
  pub fn new(config: HashMap<String, String>) -> napi::Result<Self> {
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
    Ok(NativeProducer {
      base,
      sink: Arc::new(EventSink::new(secrets)),
      profiles: Mutex::new(Vec::new()),
      closed: Arc::new(AtomicBool::new(false)),
      completions: Arc::new(Completions::default()),
      enqueuer: Arc::new(Enqueuer::default()),
      poll_thread,
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
    let mut profiles = self.profiles.lock().map_err(|_| NativeError::State("producer state poisoned".into()))?;
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
      // Asked in slices of at most 1 s, so that a `close` (e.g. after a refused connect) ends
      // the wait at once instead of holding the client, and the process, until the timeout.
      let md = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
        loop {
          let slice = deadline.saturating_duration_since(Instant::now()).min(Duration::from_secs(1));
          match client.client().fetch_metadata(topic.as_deref(), Timeout::After(slice)) {
            Ok(md) => return Ok(md),
            Err(e) if Instant::now() >= deadline || closed.load(Ordering::Acquire) => return Err(e),
            Err(_) => continue,
          }
        }
      })
      .await
      .map_err(|e| NativeError::State(format!("metadata task failed: {e}")))?
      .map_err(NativeError::from)?;
      Ok(ClusterInfo {
        brokers: md
          .brokers()
          .iter()
          .map(|b| BrokerInfo {
            node_id: b.id(),
            host: b.host().to_string(),
            port: b.port(),
          })
          .collect(),
        topics: md.topics().iter().map(topic_info).collect(),
      })
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
  #[napi]
  pub fn send(&self, meta: Uint32Array, packed: Buffer) -> napi::Result<()> {
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
    Ok(())
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
    let done = self.completions.take(|| clients.iter().for_each(|c| c.serve()));
    let mut out = Vec::with_capacity(done.len() * 32);
    for (id, outcome) in done {
      write_completion(&mut out, id, outcome);
    }
    out.into()
  }

  /// Waits up to `timeout_ms` for every queued message of every profile to be reported.
  #[napi(ts_return_type = "Promise<number>")]
  pub fn flush<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, i32>> {
    let clients = self.all_clients();
    env.spawn_future(async move {
      let left = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
        for c in &clients {
          let _ = c.flush(Timeout::After(deadline.saturating_duration_since(Instant::now())));
        }
        clients.iter().map(|c| c.in_flight_count()).sum::<i32>()
      })
      .await
      .map_err(|e| NativeError::State(format!("flush task failed: {e}")))?;
      Ok(left)
    })
  }

  /// Flushes for up to `timeout_ms`, fails whatever is left (purge), and destroys every client.
  #[napi(ts_return_type = "Promise<CloseResult>")]
  pub fn close<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, CloseResult>> {
    self.closed.store(true, Ordering::Release);
    let clients: Vec<Arc<Client>> = match self.profiles.lock() {
      Ok(mut p) => p.iter_mut().filter_map(|p| p.client.take()).collect(),
      Err(_) => Vec::new(),
    };
    let enqueuer = self.enqueuer.clone();
    env.spawn_future(async move {
      let unflushed = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
        // Sends still being enqueued (large or waiting for queue room) are part of what is flushed.
        while enqueuer.busy() && Instant::now() < deadline {
          std::thread::sleep(Duration::from_millis(1));
        }
        for c in &clients {
          let _ = c.flush(Timeout::After(deadline.saturating_duration_since(Instant::now())));
        }
        let left: i32 = clients.iter().map(|c| c.in_flight_count()).sum();
        for c in &clients {
          if c.in_flight_count() > 0 {
            c.purge(PurgeConfig::default().queue().inflight());
            // Purged messages are reported with _PURGE_QUEUE / _PURGE_INFLIGHT: let them arrive.
            let _ = c.flush(Timeout::After(Duration::from_millis(1000)));
          }
        }
        // Sends still holding a client keep it alive until their reports are in; the last
        // reference destroys the client here, off the JS thread.
        drop(clients);
        left
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
    let t = rdkafka::client::OAuthToken {
      token,
      principal_name: principal,
      lifetime_ms: lifetime_ms as i64,
    };
    self.sink.settle_token(request_id, Ok(t));
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
