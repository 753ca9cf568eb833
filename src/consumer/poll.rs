//! The poll step: one blocking call on a tokio blocking thread fills one chunk.
//!
//! It waits up to `wait` for the first record, then takes whatever else is already fetched
//! (without waiting) up to the message and byte bounds, so a busy partition fills the chunk and an
//! idle one hands over what it has at once. Rebalances, errors and applied seeks are written in the
//! order they happen, between the messages (see [`super::chunk`]). It returns early when the
//! consumer is closing, checking at least every [`SLICE`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::chunk::{ChunkWriter, MessageView};
use super::rebalance::{ConsumerCtx, GroupEvent, GroupState, Pending};
use crate::error::code_parts;
use crate::producer::lock;

/// The longest single wait inside librdkafka, so closing never waits on a poll for long.
const SLICE: Duration = Duration::from_millis(100);
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
fn apply_seeks(c: &BaseConsumer<ConsumerCtx>, state: &Mutex<GroupState>, pending: &Pending, w: &mut ChunkWriter) {
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

/// Fills one chunk (see the module comment).
pub fn poll_chunk(c: &BaseConsumer<ConsumerCtx>, state: &Mutex<GroupState>, closed: &AtomicBool, b: &Bounds) -> Vec<u8> {
  let mut w = ChunkWriter::default();
  let deadline = Instant::now() + b.wait;
  let pending = lock(state).pending.clone();
  loop {
    apply_seeks(c, state, &pending, &mut w);
    if closed.load(Ordering::Acquire) {
      break;
    }
    let timeout = if w.is_empty() {
      deadline.saturating_duration_since(Instant::now()).min(SLICE)
    } else {
      Duration::ZERO
    };
    let polled = c.poll(timeout);
    drain_events(state, &pending, &mut w);
    match polled {
      Some(Ok(m)) => {
        w.message(&MessageView::of(&m));
        if w.messages >= b.max_messages || w.buf.len() >= b.max_bytes {
          break;
        }
      }
      Some(Err(err)) => {
        error_record(&mut w, &err, None);
        break;
      }
      None => {
        if !w.is_empty() || Instant::now() >= deadline {
          break;
        }
      }
    }
  }
  w.buf
}
