//! Handing a send's messages to librdkafka: [`enqueue`] (used inline on the JS thread for small
//! sends) and the ordered [`Enqueuer`] (a task on napi's tokio runtime for large sends, and for
//! every send made while earlier ones are still being enqueued).
//!
//! Every message of a send is accounted for exactly once in its [`Batch`]: enqueued (its
//! delivery report will come), failed now (enqueue error, malformed bytes, no room within
//! `maxBlockMs`), or left for a later call while librdkafka's queue is full.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::producer::BaseRecord;
use rdkafka::types::RDKafkaErrorCode;

use super::lock;
use super::wire::{read_message, Reader};
use crate::client::Client;
use crate::delivery::{Batch, Pending};
use crate::error::{code_parts, MessageFailure};

/// Sends of more messages than this are enqueued off the JS thread.
pub const INLINE_MESSAGES: u32 = 64;

/// What is left to enqueue of one send.
pub struct EnqueueJob {
  pub client: Arc<Client>,
  pub batch: Arc<Batch>,
  pub topics: Vec<String>,
  /// The send's bytes, copied: JS reuses its pack buffer as soon as the call returns.
  pub data: Vec<u8>,
  pub pos: usize,
  pub index: u32,
  pub count: u32,
  /// Past this, a full local queue fails the rest of the send (maxBlockMs).
  pub deadline: Instant,
}

/// The ordered enqueue path: one task at a time on napi's tokio runtime works through the jobs
/// in call order, waiting for room when librdkafka's queue is full.
#[derive(Default)]
pub struct Enqueuer {
  jobs: Mutex<VecDeque<EnqueueJob>>,
  running: AtomicBool,
}

impl Enqueuer {
  /// True while the task has work (then every new send must queue behind it, to keep order).
  pub fn busy(&self) -> bool {
    self.running.load(Ordering::Acquire)
  }

  pub fn push(self: &Arc<Self>, job: EnqueueJob) {
    lock(&self.jobs).push_back(job);
    if !self.running.swap(true, Ordering::AcqRel) {
      let me = self.clone();
      napi::bindgen_prelude::spawn(async move { me.work().await });
    }
  }

  fn next(&self) -> Option<EnqueueJob> {
    lock(&self.jobs).pop_front()
  }

  async fn work(&self) {
    loop {
      let Some(mut job) = self.next() else {
        self.running.store(false, Ordering::Release);
        // A push may have raced with the store: take the work back if nobody else did.
        if lock(&self.jobs).is_empty() || self.running.swap(true, Ordering::AcqRel) {
          return;
        }
        continue;
      };
      loop {
        let mut r = Reader::at(&job.data, job.pos);
        match enqueue(&job.client, &job.batch, &job.topics, &mut r, &mut job.index, job.count) {
          Enqueued::All => break,
          Enqueued::QueueFull(pos) => {
            job.pos = pos;
            if Instant::now() >= job.deadline {
              let msg = "local queue full past maxBlockMs (queue.buffering.max.messages / .kbytes)";
              fail_rest(&job.batch, job.index, job.count, RDKafkaErrorCode::QueueFull, "QUEUE_FULL", msg);
              break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
          }
        }
      }
    }
  }
}

fn queue_full(err: &KafkaError) -> bool {
  matches!(err, KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull))
}

/// Where the enqueue loop stopped.
pub enum Enqueued {
  All,
  /// librdkafka's queue is full; resume at this buffer position (the index was left at the
  /// first message not taken).
  QueueFull(usize),
}

/// Enqueues messages `*index..count` from `r`. Every message is accounted for in `batch`:
/// enqueued (its report will come), failed now, or left for a later call (queue full).
pub fn enqueue<T: AsRef<str>>(client: &Client, batch: &Arc<Batch>, topics: &[T], r: &mut Reader<'_>, index: &mut u32, count: u32) -> Enqueued {
  while *index < count {
    let start = r.pos;
    let msg = match read_message(r) {
      Ok(m) => m,
      Err(e) => {
        fail_rest(batch, *index, count, RDKafkaErrorCode::InvalidArgument, "INVALID_ARG", &format!("{e:?}"));
        *index = count;
        return Enqueued::All;
      }
    };
    let Some(topic) = topics.get(msg.topic as usize).map(AsRef::as_ref) else {
      fail_rest(
        batch,
        *index,
        count,
        RDKafkaErrorCode::InvalidArgument,
        "INVALID_ARG",
        "malformed message batch (topic index)",
      );
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

/// Fails messages `from..count`, which will never reach librdkafka (unreadable, or no room in
/// time) with `code`, `name` and `message` (why).
pub fn fail_rest(batch: &Arc<Batch>, from: u32, count: u32, code: RDKafkaErrorCode, name: &str, message: &str) {
  let code = code as i32;
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
