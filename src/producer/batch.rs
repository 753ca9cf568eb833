//! Handing runs of messages to librdkafka with one `rd_kafka_produce_batch` call each.
//!
//! `rd_kafka_producev` (one call per message) parses a varargs list, looks the topic up by name
//! and takes the topic lock for every message. `rd_kafka_produce_batch` takes a topic handle and
//! an array: one topic lookup and one topic lock for the whole run, and each message is only
//! allocated, copied and appended to its partition queue. [`Run`] collects consecutive messages
//! of a send that it can take:
//!
//! - same topic, and either all left to librdkafka's partitioner (partition -1) or all for the
//!   same explicit partition. Mixed runs are never given to librdkafka with
//!   `RD_KAFKA_MSG_F_PARTITION`: in that mode an unknown explicit partition leaks the message
//!   inside librdkafka (its count never returns to zero, so a flush would wait for it).
//! - no headers and no explicit timestamp: the array form has no field for either. Such a
//!   message ends the run and goes through `producev`.
//!
//! Ownership of each message's [`Pending`] opaque: librdkafka takes it with every message it
//! accepts (and gives it back in the delivery report); for a message it refuses, the opaque is
//! taken back here and the message failed (or, on `QUEUE_FULL`, offered again later). A
//! `QUEUE_FULL` fails that message and every later one of the call, so the run stops there and
//! order is kept.

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::sync::{Arc, Mutex};

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

use super::lock;
use crate::delivery::{Batch, Pending};
use crate::error::code_parts;

/// librdkafka's "unassigned partition": let the partitioner choose.
const PARTITION_UA: i32 = -1;

/// Whether librdkafka copies the keys and values of a run or points into the packed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payloads {
  /// Copied (`RD_KAFKA_MSG_F_COPY`): the bytes need only outlive the `produce` call. For JS's
  /// pack buffer, which JS reuses as soon as the send call returns.
  Copied,
  /// Not copied: librdkafka keeps pointers to the values until each message is destroyed after
  /// its delivery report, so the bytes must be kept as long as the send's [`Batch`] (which every
  /// message's [`Pending`] holds): see [`Batch::retain`]. Keys are copied by librdkafka anyway.
  /// Saves a copy per value and keeps the send's bytes in one block instead of one allocation
  /// per message on the enqueuing thread.
  Retained,
}

/// Topic handles of one client, created on first use and destroyed with the client.
#[derive(Default)]
pub struct TopicHandles {
  handles: Mutex<HashMap<String, Handle>>,
}

struct Handle(*mut rd::rd_kafka_topic_t);

// SAFETY: a librdkafka topic handle may be used from any thread.
unsafe impl Send for Handle {}

impl TopicHandles {
  /// The handle of `topic` on client `rk` (null if librdkafka refuses the name; the caller then
  /// takes the per-message path, which reports librdkafka's error for each message).
  fn get(&self, rk: *mut rd::rd_kafka_t, topic: &str) -> *mut rd::rd_kafka_topic_t {
    let mut handles = lock(&self.handles);
    if let Some(h) = handles.get(topic) {
      return h.0;
    }
    let Ok(name) = CString::new(topic) else {
      return std::ptr::null_mut();
    };
    // SAFETY: `rk` is a live client; a null conf means the client's default topic properties,
    // the same ones `producev` uses.
    let h = unsafe { rd::rd_kafka_topic_new(rk, name.as_ptr(), std::ptr::null_mut()) };
    if !h.is_null() {
      handles.insert(topic.to_string(), Handle(h));
    }
    h
  }

  /// Destroys every handle (before the client itself is destroyed).
  pub fn clear(&self) {
    for (_, h) in lock(&self.handles).drain() {
      // SAFETY: created by `rd_kafka_topic_new` and destroyed once.
      unsafe { rd::rd_kafka_topic_destroy(h.0) };
    }
  }
}

/// Consecutive messages of one send bound for one (topic, partition or partitioner).
pub struct Run {
  topic: u32,
  partition: i32,
  /// Index (in the send) of the first message.
  first: u32,
  messages: Vec<rd::rd_kafka_message_t>,
  /// Where each message starts in the packed buffer (to offer it again after QUEUE_FULL).
  starts: Vec<usize>,
}

/// How a run ended.
pub enum RunResult {
  /// Every message was taken by librdkafka or failed.
  Done,
  /// librdkafka's queue was full at the `n`-th message of the run: it and the rest were not
  /// taken; resume at send index `index`, buffer position `pos`.
  QueueFull { index: u32, pos: usize },
}

impl Run {
  pub fn new() -> Run {
    Run {
      topic: 0,
      partition: PARTITION_UA,
      first: 0,
      messages: Vec::new(),
      starts: Vec::new(),
    }
  }

  /// The send's topic index of the run.
  pub fn topic(&self) -> u32 {
    self.topic
  }

  /// Empties the run without handing it over; returns where it started (send index, buffer
  /// position), for the caller to send those messages another way.
  pub fn give_back(&mut self) -> (u32, usize) {
    let at = (self.first, self.starts.first().copied().unwrap_or(0));
    for m in self.messages.drain(..) {
      // SAFETY: never handed to librdkafka.
      unsafe { Box::from_raw(m._private as *mut Pending) }.disarm();
    }
    self.starts.clear();
    at
  }

  pub fn is_empty(&self) -> bool {
    self.messages.is_empty()
  }

  /// True if a message for (`topic`, `partition`) can join this run.
  pub fn accepts(&self, topic: u32, partition: i32) -> bool {
    self.is_empty() || (self.topic == topic && self.partition == partition.max(PARTITION_UA))
  }

  /// Adds message `index` of the send. `key` and `value` borrow the packed buffer, which must
  /// outlive the next [`Run::produce`] with [`Payloads::Copied`], or the send's batch with
  /// [`Payloads::Retained`].
  #[allow(clippy::too_many_arguments)]
  pub fn push(&mut self, batch: &Arc<Batch>, index: u32, topic: u32, partition: i32, key: Option<&[u8]>, value: Option<&[u8]>, start: usize) {
    if self.is_empty() {
      self.topic = topic;
      self.partition = partition.max(PARTITION_UA);
      self.first = index;
    }
    let (key, key_len) = key.map_or((std::ptr::null_mut(), 0), |k| (k.as_ptr() as *mut c_void, k.len()));
    let (payload, len) = value.map_or((std::ptr::null_mut(), 0), |v| (v.as_ptr() as *mut c_void, v.len()));
    let pending = Box::new(Pending::new(batch.clone(), index, topic));
    self.messages.push(rd::rd_kafka_message_t {
      err: rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
      rkt: std::ptr::null_mut(),
      partition: self.partition,
      payload,
      len,
      key,
      key_len,
      offset: 0,
      _private: Box::into_raw(pending) as *mut c_void,
    });
    self.starts.push(start);
  }

  /// Hands the run to librdkafka (client `rk`, topic name `topic`) and empties it. Returns
  /// `None` if no topic handle could be made: the run is then untouched, for the caller to send
  /// message by message.
  ///
  /// With [`Payloads::Retained`] the caller guarantees that the bytes the run's values point into
  /// are kept by the batch of every message in the run.
  pub fn produce(&mut self, rk: *mut rd::rd_kafka_t, handles: &TopicHandles, topic: &str, payloads: Payloads) -> Option<RunResult> {
    let rkt = handles.get(rk, topic);
    if rkt.is_null() {
      return None;
    }
    let n = self.messages.len();
    let flags = match payloads {
      Payloads::Copied => rd::RD_KAFKA_MSG_F_COPY,
      Payloads::Retained => 0,
    };
    // SAFETY: `rkt` is a live handle of `rk`; the array holds `n` initialised messages whose
    // key/payload borrow bytes alive for this call (copied by librdkafka with F_COPY; without
    // it, kept by each message's batch until librdkafka gives the message back, as the caller
    // guarantees).
    unsafe {
      rd::rd_kafka_produce_batch(rkt, self.partition, flags, self.messages.as_mut_ptr(), n as i32);
    }
    let mut result = RunResult::Done;
    for (i, m) in self.messages.drain(..).enumerate() {
      if m.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        continue; // librdkafka owns the opaque now
      }
      // SAFETY: refused by librdkafka, so the opaque is still ours (made by Box::into_raw above).
      let pending = unsafe { Box::from_raw(m._private as *mut Pending) };
      let full = m.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL;
      if full && matches!(result, RunResult::Done) {
        result = RunResult::QueueFull {
          index: self.first + i as u32,
          pos: self.starts[i],
        };
      }
      if matches!(result, RunResult::QueueFull { .. }) {
        // From the first QUEUE_FULL on, librdkafka refused every message: offered again later.
        pending.disarm();
      } else {
        let code: RDKafkaErrorCode = m.err.into();
        let (code, name, text) = code_parts(code);
        pending.fail(self.partition, code, name, text);
      }
    }
    self.starts.clear();
    Some(result)
  }
}

impl Drop for Run {
  fn drop(&mut self) {
    // A run dropped before `produce` (the enqueue paths never do) still settles its messages,
    // as not sent.
    let (code, name, text) = code_parts(RDKafkaErrorCode::Fail);
    for m in self.messages.drain(..) {
      // SAFETY: never handed to librdkafka.
      let pending = unsafe { Box::from_raw(m._private as *mut Pending) };
      pending.fail(
        self.partition,
        code,
        name.clone(),
        format!("{text}: dropped before it was handed to librdkafka"),
      );
    }
  }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
