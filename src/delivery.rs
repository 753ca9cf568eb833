//! Per-send completion aggregation, and completions handed to JS in bulk.
//!
//! A send enqueues N messages; librdkafka reports each one when the client's main queue is
//! served (see [`crate::client`]). [`Batch`] counts those reports down and, when the last one
//! arrives, pushes one [`BatchOutcome`] (per (topic, partition) the lowest offset and the log
//! append time, plus every failed message) onto the producer's [`Completions`] queue. The queue
//! wakes the JS thread once through a single long-lived threadsafe function, however many sends
//! completed meanwhile, and JS drains them all in one call. No flush per send, no promise or
//! task per send or message.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use rdkafka::bindings as rd;
use rdkafka::message::{BorrowedMessage, DeliveryResult, Message, Timestamp};
use rdkafka::types::RDKafkaErrorCode;

use crate::error::{code_parts, MessageFailure, Persisted};

/// What a partition of a send ended with.
#[derive(Debug, Clone, Copy)]
pub struct PartitionOutcome {
  /// Lowest offset of this send's messages in the partition (-1 when the broker gave none, acks=0).
  pub base_offset: i64,
  /// Broker timestamp when the topic uses LogAppendTime, else -1.
  pub log_append_time: i64,
}

#[derive(Debug, Default)]
pub struct BatchOutcome {
  pub partitions: HashMap<(u32, i32), PartitionOutcome>,
  pub failures: Vec<MessageFailure>,
}

/// How a send ended: per-partition results and per-message failures, or refused whole before
/// any message was enqueued (the JSON error payload).
pub type SendOutcome = Result<BatchOutcome, String>;

type Notifier = ThreadsafeFunction<u32, (), u32, napi::Status, false, true>;

/// Finished sends waiting for the JS thread, and the one notifier that wakes it.
#[derive(Default)]
pub struct Completions {
  queue: Mutex<Vec<(u32, SendOutcome)>>,
  /// True from the first push after a drain until the next drain: one wake-up per burst.
  scheduled: AtomicBool,
  notifier: RwLock<Option<Notifier>>,
}

impl Completions {
  /// `listener` is called (with no useful argument) when completions are waiting. It is weak:
  /// it never keeps the process alive by itself; the JS layer holds the loop while sends are pending.
  pub fn set_listener(&self, listener: Function<u32, ()>) -> napi::Result<()> {
    let tsfn: Notifier = listener.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
    *self.notifier.write().unwrap_or_else(PoisonError::into_inner) = Some(tsfn);
    // Whatever arrived before there was a listener: one drain now.
    self.scheduled.store(false, Ordering::Release);
    self.wake();
    Ok(())
  }

  /// Drops the listener (after the producer closed). Its threadsafe function holds the JS
  /// callback, which references the producer, which holds this queue: a cycle that would keep
  /// the whole producer (and its pack buffer) alive forever.
  pub fn clear_listener(&self) {
    *self.notifier.write().unwrap_or_else(PoisonError::into_inner) = None;
  }

  /// Asks the JS thread to drain, unless it already has been asked since its last drain.
  pub fn wake(&self) {
    if !self.scheduled.swap(true, Ordering::AcqRel) {
      // A lost wake-up would leave finished sends unsettled: a poisoned lock is read anyway.
      if let Some(n) = self.notifier.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
        n.call(0, ThreadsafeFunctionCallMode::NonBlocking);
      }
    }
  }

  /// Send `id` was refused whole (`reason`: the JSON error payload).
  pub fn refuse(&self, id: u32, reason: String) {
    self.push(id, Err(reason));
  }

  fn push(&self, id: u32, outcome: SendOutcome) {
    match self.queue.lock() {
      Ok(mut q) => q.push((id, outcome)),
      Err(poisoned) => poisoned.into_inner().push((id, outcome)),
    }
    // Reports served by the draining JS thread itself are taken by that same drain.
    if !SERVING.with(Cell::get) {
      self.wake();
    }
  }

  /// Everything finished since the last call (JS thread). `serve` runs first: it polls the
  /// clients whose reports are served on this thread, which completes more sends.
  pub fn take(&self, serve: impl FnOnce()) -> Vec<(u32, SendOutcome)> {
    // Cleared before serving: anything arriving from now on schedules another wake-up.
    self.scheduled.store(false, Ordering::Release);
    {
      let _serving = Serving::enter();
      serve();
    }
    match self.queue.lock() {
      Ok(mut q) => std::mem::take(&mut *q),
      Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    }
  }
}

thread_local! {
  /// True while this thread serves delivery reports inside `Completions::take`.
  static SERVING: Cell<bool> = const { Cell::new(false) };
}

/// Sets [`SERVING`] for its lifetime (reset even if serving unwinds).
struct Serving;

impl Serving {
  fn enter() -> Serving {
    SERVING.with(|s| s.set(true));
    Serving
  }
}

impl Drop for Serving {
  fn drop(&mut self) {
    SERVING.with(|s| s.set(false));
  }
}

pub struct Batch {
  id: u32,
  remaining: AtomicUsize,
  outcome: Mutex<BatchOutcome>,
  finished: AtomicBool,
  completions: Arc<Completions>,
  /// Packed bytes that librdkafka's messages of this send point into (enqueued without a copy,
  /// see [`crate::producer::batch::Payloads`]). Every message's [`Pending`] holds the batch, so
  /// they are freed only once librdkafka has given back (reported or refused) every message.
  retained: Mutex<Vec<Arc<[u8]>>>,
}

/// The delivery opaque of one message: its batch and its place in it. It settles its batch
/// exactly once: by [`report`], [`Pending::fail`], or (if librdkafka drops it unreported) `Drop`.
pub struct Pending {
  batch: Arc<Batch>,
  index: u32,
  topic: u32,
  settled: bool,
}

impl Pending {
  pub fn new(batch: Arc<Batch>, index: u32, topic: u32) -> Self {
    Pending {
      batch,
      index,
      topic,
      settled: false,
    }
  }

  /// The message failed before librdkafka took it (so it was never sent).
  pub fn fail(self, partition: i32, code: i32, name: String, message: String) {
    self.settle_failed(partition, code, name, message, Persisted::No);
  }

  fn settle_failed(mut self, partition: i32, code: i32, name: String, message: String, persisted: Persisted) {
    self.settled = true;
    self.batch.failed(MessageFailure {
      index: self.index,
      topic: self.topic,
      partition,
      code,
      name,
      message,
      persisted,
    });
  }

  /// The message was not taken and will be offered again (queue full): settle nothing.
  pub fn disarm(mut self) {
    self.settled = true;
  }

  /// Its send and topic index (a run of delivered reports is recorded per send, topic and partition).
  pub fn place(&self) -> (&Arc<Batch>, u32) {
    (&self.batch, self.topic)
  }

  /// Recorded as part of a run ([`Batch::delivered_run`]) by whoever holds the run's batch.
  pub fn counted_in_run(mut self) {
    self.settled = true;
  }

  /// librdkafka reported the message failed with `code`; `persisted`: its verdict on whether the
  /// broker may have stored it anyway.
  pub fn report_failure(self, partition: i32, code: RDKafkaErrorCode, persisted: Persisted) {
    let (code, name, message) = code_parts(code);
    self.settle_failed(partition, code, name, message, persisted);
  }
}

impl Drop for Pending {
  fn drop(&mut self) {
    if !self.settled {
      self.batch.failed(MessageFailure {
        index: self.index,
        topic: self.topic,
        partition: -1,
        code: RDKafkaErrorCode::BrokerDestroy as i32,
        name: "BROKER_DESTROY".into(),
        message: "message destroyed without a delivery report".into(),
        // librdkafka took it and said nothing more: it may have been sent.
        persisted: Persisted::Possibly,
      });
    }
  }
}

impl Batch {
  /// A send of `count` messages, identified to JS by `id`.
  pub fn new(id: u32, count: usize, completions: Arc<Completions>) -> Arc<Batch> {
    let batch = Arc::new(Batch {
      id,
      remaining: AtomicUsize::new(count),
      outcome: Mutex::new(BatchOutcome::default()),
      finished: AtomicBool::new(false),
      completions,
      retained: Mutex::new(Vec::new()),
    });
    if count == 0 {
      batch.finish();
    }
    batch
  }

  /// Keeps `bytes` alive as long as the batch: librdkafka may read them until the last delivery
  /// report of the send.
  pub fn retain(&self, bytes: Arc<[u8]>) {
    match self.retained.lock() {
      Ok(mut g) => g.push(bytes),
      Err(poisoned) => poisoned.into_inner().push(bytes),
    }
  }

  fn finish(&self) {
    if self.finished.swap(true, Ordering::AcqRel) {
      return;
    }
    let outcome = match self.outcome.lock() {
      Ok(mut g) => std::mem::take(&mut *g),
      Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    self.completions.push(self.id, Ok(outcome));
  }

  fn complete_one(&self) {
    if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
      self.finish();
    }
  }

  fn with_outcome(&self, f: impl FnOnce(&mut BatchOutcome)) {
    match self.outcome.lock() {
      Ok(mut g) => f(&mut g),
      Err(poisoned) => f(&mut poisoned.into_inner()),
    }
  }

  /// A message delivered to `partition` at `offset`.
  pub fn delivered(&self, topic: u32, partition: i32, offset: i64, log_append_time: i64) {
    self.delivered_run(topic, partition, offset, log_append_time, 1);
  }

  /// `count` messages delivered to `partition`, the lowest of their offsets `offset` (-1: none
  /// given, acks=0); `log_append_time` is the first one's.
  pub fn delivered_run(&self, topic: u32, partition: i32, offset: i64, log_append_time: i64, count: usize) {
    self.with_outcome(|o| {
      o.partitions
        .entry((topic, partition))
        .and_modify(|p| {
          if offset >= 0 && (p.base_offset < 0 || offset < p.base_offset) {
            p.base_offset = offset;
          }
        })
        .or_insert(PartitionOutcome {
          base_offset: offset,
          log_append_time,
        });
    });
    if self.remaining.fetch_sub(count, Ordering::AcqRel) == count {
      self.finish();
    }
  }

  /// A message that failed, at enqueue time or in its delivery report.
  pub fn failed(&self, failure: MessageFailure) {
    self.with_outcome(|o| o.failures.push(failure));
    self.complete_one();
  }

  /// Messages that will never be enqueued (the send gave up waiting for queue room).
  pub fn abandon(&self, failures: Vec<MessageFailure>) {
    for f in failures {
      self.failed(f);
    }
  }
}

/// Whether the broker may have stored a reported message: librdkafka tracks it per message
/// (`rd_kafka_message_status`): not sent, sent without an answer, or acknowledged.
pub fn persistence(msg: &BorrowedMessage<'_>) -> Persisted {
  // SAFETY: `msg` borrows the live message of the delivery report being handled.
  unsafe { persistence_of(msg.ptr()) }
}

/// [`persistence`] of a raw message.
///
/// # Safety
/// `msg` is a live message of a delivery report.
pub unsafe fn persistence_of(msg: *const rd::rd_kafka_message_t) -> Persisted {
  use rd::rd_kafka_msg_status_t::*;
  match rd::rd_kafka_message_status(msg) {
    RD_KAFKA_MSG_STATUS_NOT_PERSISTED => Persisted::No,
    RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED => Persisted::Possibly,
    RD_KAFKA_MSG_STATUS_PERSISTED => Persisted::Yes,
  }
}

/// Records one delivery report into its batch. A failure carries librdkafka's verdict on whether
/// the message may be stored anyway ([`persistence`]).
pub fn report(result: &DeliveryResult<'_>, mut pending: Pending) {
  pending.settled = true;
  match result {
    Ok(msg) => {
      let lat = match msg.timestamp() {
        Timestamp::LogAppendTime(t) => t,
        _ => -1,
      };
      pending.batch.delivered(pending.topic, msg.partition(), msg.offset(), lat);
    }
    Err((err, msg)) => {
      let code = err.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail);
      pending.report_failure(msg.partition(), code, persistence(msg));
    }
  }
}
