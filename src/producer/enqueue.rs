//! Handing one send's messages to librdkafka: [`enqueue`] hands a range of them over (runs of
//! plain messages with one `rd_kafka_produce_batch` each, the others one by one), used inline on
//! the JS thread for small sends and by the ordered [`super::enqueuer::Enqueuer`] for the rest.
//!
//! Every message of a send is accounted for exactly once in its [`Batch`]: enqueued (its
//! delivery report will come), failed now (enqueue error, malformed bytes, no room within
//! `maxBlockMs`, cancelled), or left for a later call while librdkafka's queue is full.

use std::sync::Arc;

use rdkafka::error::KafkaError;
use rdkafka::producer::BaseRecord;
use rdkafka::types::RDKafkaErrorCode;

use super::batch::{Payloads, Run, RunResult};
use super::wire::{read_message, Reader};
use crate::client::Client;
use crate::delivery::{Batch, Pending};
use crate::error::{code_parts, MessageFailure, Persisted};

/// Sends of more messages than this are enqueued off the JS thread.
pub const INLINE_MESSAGES: u32 = 64;
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

/// Enqueues messages `*index..end` of the send's `count` from `r`. Every message is accounted
/// for in `batch`: enqueued (its report will come), failed now, or left for a later call (queue
/// full, or past `end`). Unreadable bytes fail the rest of the send, up to `count`.
///
/// Runs of plain messages (see [`super::batch`]) go to librdkafka with one
/// `rd_kafka_produce_batch` each; a message with headers or a timestamp goes alone through
/// `rd_kafka_producev` (always copied). Order is kept: a run is handed over before anything
/// after it. `payloads`: whether runs are copied, or point into `r`'s bytes, which the caller
/// has then given to `batch` to keep ([`Batch::retain`]).
#[allow(clippy::too_many_arguments)]
pub fn enqueue<T: AsRef<str>>(
  client: &Client,
  batch: &Arc<Batch>,
  topics: &[T],
  r: &mut Reader<'_>,
  index: &mut u32,
  end: u32,
  count: u32,
  payloads: Payloads,
) -> Enqueued {
  let mut run = Run::new();
  let mut batching = true;
  while *index < end.min(count) {
    let start = r.pos;
    let msg = match read_message(r) {
      Ok(m) => m,
      Err(e) => {
        if let Some(stop) = hand_over(client, &mut run, topics, r, index, &mut batching, payloads) {
          return stop;
        }
        fail_rest(batch, *index, count, RDKafkaErrorCode::InvalidArgument, "INVALID_ARG", &format!("{e:?}"));
        *index = count;
        return Enqueued::All;
      }
    };
    let Some(topic) = topics.get(msg.topic as usize).map(AsRef::as_ref) else {
      if let Some(stop) = hand_over(client, &mut run, topics, r, index, &mut batching, payloads) {
        return stop;
      }
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
    let plain = batching && msg.headers.is_none() && msg.timestamp <= 0.0;
    if !plain || !run.accepts(msg.topic, msg.partition) {
      let was_batching = batching;
      if let Some(stop) = hand_over(client, &mut run, topics, r, index, &mut batching, payloads) {
        return stop;
      }
      if was_batching && !batching {
        // The run was given back (no topic handle): the reader is back at its first message,
        // to send it and what follows one by one.
        continue;
      }
    }
    if plain {
      run.push(batch, *index, msg.topic, msg.partition, msg.key, msg.value, start);
      *index += 1;
      continue;
    }
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
  hand_over(client, &mut run, topics, r, index, &mut batching, payloads).unwrap_or(Enqueued::All)
}

/// Hands the collected run (if any) to librdkafka. `Some` when the caller must stop: librdkafka's
/// queue filled up (`*index` and the reader are moved back to the first message not taken).
/// Without a topic handle the run is given back (reader and index moved back to its start) and
/// `batching` turned off, so the caller sends those messages one by one.
fn hand_over<T: AsRef<str>>(
  client: &Client,
  run: &mut Run,
  topics: &[T],
  r: &mut Reader<'_>,
  index: &mut u32,
  batching: &mut bool,
  payloads: Payloads,
) -> Option<Enqueued> {
  if run.is_empty() {
    return None;
  }
  let topic = topics.get(run.topic() as usize).map(AsRef::as_ref).unwrap_or_default();
  match run.produce(client.rk(), client.topic_handles(), topic, payloads) {
    Some(RunResult::Done) => None,
    Some(RunResult::QueueFull { index: i, pos }) => {
      *index = i;
      r.pos = pos;
      Some(Enqueued::QueueFull(pos))
    }
    None => {
      let (i, pos) = run.give_back();
      *index = i;
      r.pos = pos;
      *batching = false;
      None
    }
  }
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
        persisted: Persisted::No,
      })
      .collect(),
  );
}
