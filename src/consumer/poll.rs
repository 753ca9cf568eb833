//! The poll step: one blocking call on a tokio blocking thread fills one chunk.
//!
//! It waits up to `wait` for the first record, then takes whatever else is already fetched
//! (without waiting) up to the message and byte bounds, so a busy partition fills the chunk and an
//! idle one hands over what it has at once. Rebalances, errors and applied seeks are written in the
//! order they happen, between the messages (see [`super::chunk`]). It returns early when the
//! consumer is closing, checking at least every [`SLICE`].
//!
//! Each turn first serves the group events waiting on the consumer queue (rust-rdkafka's `poll`,
//! never waiting), then takes up to [`BATCH`] fetched messages from the fetch queue in one call
//! (see [`super::fetch`]); with nothing on either, it sleeps until librdkafka signals one. A
//! chunk's byte bound is therefore approximate: each batch is sized by the average message so far.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::consumer::Consumer as _;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::chunk::{ChunkWriter, MessageView};
use super::fetch::{Consumer, FetchQueue};
use super::rebalance::{GroupEvent, GroupState, Pending};
use crate::error::code_parts;
use crate::producer::lock;

/// The longest single wait inside librdkafka, so closing never waits on a poll for long.
pub const SLICE: Duration = Duration::from_millis(100);
/// How long a seek may take to be applied by librdkafka.
const SEEK_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Bounds {
  pub max_messages: usize,
  pub max_bytes: usize,
  pub wait: Duration,
}

/// Moves the group events recorded by the rebalance callback into the chunk.
fn drain_events(state: &Mutex<GroupState>, pending: &Pending, w: &mut ChunkWriter) {
  if !Pending::take(&pending.events) {
    return;
  }
  let events = std::mem::take(&mut lock(state).events);
  for e in events {
    match e {
      GroupEvent::Assign { member_id, partitions } => w.assign(&member_id, &partitions),
      GroupEvent::Revoke(partitions) => w.revoke(&partitions),
      GroupEvent::Error { code, name, message } => w.error(code, &name, &message, None),
    }
  }
}

/// Applies the seeks JS asked for since the last poll; each is acknowledged by a seeked record.
fn apply_seeks(c: &Consumer, state: &Mutex<GroupState>, pending: &Pending, w: &mut ChunkWriter) {
  if !Pending::take(&pending.seeks) {
    return;
  }
  let seeks = std::mem::take(&mut lock(state).seeks);
  for (topic, partition, offset) in seeks {
    let assigned = lock(state).assigned.contains(&(topic.clone(), partition));
    if assigned {
      let mut tpl = TopicPartitionList::new();
      let _ = tpl.add_partition_offset(&topic, partition, Offset::from_raw(offset));
      match c.seek_partitions(tpl, SEEK_TIMEOUT) {
        Ok(done) => {
          for e in done.elements() {
            if let Err(err) = e.error() {
              error_record(w, &err, Some((&topic, partition)));
            }
          }
        }
        Err(err) => error_record(w, &err, Some((&topic, partition))),
      }
    } else {
      lock(state).parked_seeks.insert((topic.clone(), partition), offset);
    }
    w.seeked(&topic, partition, offset);
  }
}

fn error_record(w: &mut ChunkWriter, err: &KafkaError, at: Option<(&str, i32)>) {
  let code = err.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail);
  let (code, name, _) = code_parts(code);
  w.error(code, &name, &err.to_string(), at);
}

/// The most messages taken from librdkafka in one call.
const BATCH: usize = 1024;
/// The first call of a chunk takes at most this many (their sizes then size the next calls).
const FIRST_BATCH: usize = 32;
/// The most consumer-queue ops served between two batches.
const EVENTS_PER_TURN: usize = 256;

/// How many messages the next batch call may take: what is left of the message bound, and about
/// what is left of the byte bound at the average size so far.
fn batch_size(w: &ChunkWriter, b: &Bounds) -> usize {
  let room = b.max_messages.saturating_sub(w.messages);
  if w.messages == 0 {
    return room.min(FIRST_BATCH);
  }
  let average = (w.buf.len() / w.messages).max(1);
  let bytes_left = b.max_bytes.saturating_sub(w.buf.len());
  room.min(BATCH).min((bytes_left / average).max(1))
}

fn full(w: &ChunkWriter, b: &Bounds) -> bool {
  w.messages >= b.max_messages || w.buf.len() >= b.max_bytes
}

/// Serves the consumer queue without waiting: rebalances (written as group events), commit
/// results, logs, and errors. False when an error ends the chunk.
fn serve_events(c: &Consumer, fetch: &FetchQueue, state: &Mutex<GroupState>, pending: &Pending, w: &mut ChunkWriter) -> bool {
  let mut ok = true;
  for _ in 0..EVENTS_PER_TURN {
    if !fetch.events_waiting() {
      break;
    }
    match c.poll(Duration::ZERO) {
      // A partition whose queue was not forwarded (assigned while closing).
      Some(Ok(m)) => w.message(&MessageView::of(&m)),
      Some(Err(err)) => {
        error_record(w, &err, None);
        ok = false;
        break;
      }
      None => {}
    }
  }
  drain_events(state, pending, w);
  ok
}

/// Writes a batch of fetched messages (each destroyed after). False when one was an error, which
/// ends the chunk after the rest of the batch.
fn write_batch(batch: &[*mut rd::rd_kafka_message_t], w: &mut ChunkWriter) -> bool {
  let mut ok = true;
  for &m in batch {
    // SAFETY: librdkafka returned `m` from the batch call; it is destroyed once, below.
    unsafe {
      let msg = &*m;
      if msg.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        w.message(&MessageView::raw(msg));
      } else {
        error_record(w, &KafkaError::MessageConsumption(msg.err.into()), None);
        ok = false;
      }
      rd::rd_kafka_message_destroy(m);
    }
  }
  ok
}

/// A filled chunk, and whether it ended with nothing left to take.
pub struct Polled {
  pub chunk: Vec<u8>,
  /// The fetch waker's generation when both queues were last seen empty, if the chunk ended
  /// there: while the generation stays the same, nothing has come since.
  pub drained_at: Option<u64>,
}

/// Fills one chunk (see the module comment).
pub fn poll_chunk(c: &Consumer, state: &Mutex<GroupState>, closed: &AtomicBool, b: &Bounds) -> Polled {
  let mut w = ChunkWriter::default();
  let mut drained_at = None;
  let deadline = Instant::now() + b.wait;
  let pending = lock(state).pending.clone();
  let mut batch = Vec::new();
  loop {
    apply_seeks(c, state, &pending, &mut w);
    if closed.load(Ordering::Acquire) {
      break;
    }
    let Some(fetch) = c.fetch.as_ref() else {
      // No fetch queue (librdkafka gave no consumer queue): one op per call, waiting in poll.
      if !poll_one(c, state, &pending, &mut w, deadline) {
        break;
      }
      continue;
    };
    let seen = fetch.waker().generation();
    if !serve_events(c, fetch, state, &pending, &mut w) || full(&w, b) {
      break;
    }
    let taken = fetch.take(batch_size(&w, b), &mut batch);
    if !write_batch(&batch, &mut w) || full(&w, b) {
      break;
    }
    if taken > 0 || fetch.events_waiting() {
      continue;
    }
    let now = Instant::now();
    if !w.is_empty() || now >= deadline {
      drained_at = Some(seen);
      break;
    }
    fetch.waker().wait(seen, deadline.saturating_duration_since(now).min(SLICE));
  }
  Polled { chunk: w.buf, drained_at }
}

/// One op from the consumer queue, waiting until `deadline` (at most a slice) while the chunk is
/// empty. False when the chunk is done.
fn poll_one(c: &Consumer, state: &Mutex<GroupState>, pending: &Pending, w: &mut ChunkWriter, deadline: Instant) -> bool {
  let timeout = if w.is_empty() {
    deadline.saturating_duration_since(Instant::now()).min(SLICE)
  } else {
    Duration::ZERO
  };
  let polled = c.poll(timeout);
  drain_events(state, pending, w);
  match polled {
    Some(Ok(m)) => {
      w.message(&MessageView::of(&m));
      true
    }
    Some(Err(err)) => {
      error_record(w, &err, None);
      false
    }
    None => w.is_empty() && Instant::now() < deadline,
  }
}
