//! The chunk: what one `poll` hands to JS, as one buffer.
//!
//! A chunk is a sequence of records, in the order the poll thread saw them, so a revocation
//! reaches JS after the messages fetched before it and before those fetched after it. Every
//! integer is little-endian. Each record opens with a one-byte tag:
//!
//! | tag | record    | body |
//! |-----|-----------|------|
//! | 0   | topic     | `u16 len, utf8` — defines the chunk's next topic index (0, 1, ...) |
//! | 1   | message   | `u16 topic, i32 partition, i64 offset, u8 timestamp type (0 none, 1 create, 2 log append), i64 timestamp, i32 key len (-1: null), key, i32 value len (-1: null), value, u16 header count, then per header: u16 key len, key, i32 value len (-1: null), value` |
//! | 2   | assign    | `u16 len, member id utf8, u32 count, count x (u16 topic, i32 partition)` |
//! | 3   | revoke    | `u32 count, count x (u16 topic, i32 partition)` |
//! | 4   | error     | `i32 code, u16 len, name, u32 len, message, u16 topic (0xFFFF: none), i32 partition` |
//! | 5   | seeked    | `u16 topic, i32 partition, i64 offset` — a seek asked by JS is applied: messages of that partition before this record predate it |
//!
//! Topic indices are per chunk: a topic record precedes the first use of its index.

use std::collections::HashMap;

use std::ffi::CStr;

use rdkafka::bindings as rd;
use rdkafka::message::{BorrowedMessage, Headers, Message, Timestamp};

pub const TAG_TOPIC: u8 = 0;
pub const TAG_MESSAGE: u8 = 1;
pub const TAG_ASSIGN: u8 = 2;
pub const TAG_REVOKE: u8 = 3;
pub const TAG_ERROR: u8 = 4;
pub const TAG_SEEKED: u8 = 5;
/// The topic index of an error that concerns no topic.
pub const NO_TOPIC: u16 = 0xFFFF;

/// Builds one chunk.
#[derive(Default)]
pub struct ChunkWriter {
  pub buf: Vec<u8>,
  topics: HashMap<String, u16>,
  /// The topic of the last message and its index: most messages repeat it (no hashing then).
  last_topic: Option<(String, u16)>,
  /// Messages written so far.
  pub messages: usize,
}

/// The parts of a message the chunk carries (a view, so tests need no librdkafka message).
pub struct MessageView<'a> {
  pub topic: &'a str,
  pub partition: i32,
  pub offset: i64,
  /// 0 none, 1 create time, 2 log-append time.
  pub timestamp_type: u8,
  pub timestamp: i64,
  pub key: Option<&'a [u8]>,
  pub value: Option<&'a [u8]>,
  pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
}

impl<'a> MessageView<'a> {
  pub fn of(m: &'a BorrowedMessage<'a>) -> MessageView<'a> {
    let (timestamp_type, timestamp) = match m.timestamp() {
      Timestamp::NotAvailable => (0, -1),
      Timestamp::CreateTime(t) => (1, t),
      Timestamp::LogAppendTime(t) => (2, t),
    };
    let headers = m.headers().map(|h| h.iter().map(|h| (h.key.as_bytes(), h.value)).collect()).unwrap_or_default();
    MessageView {
      topic: m.topic(),
      partition: m.partition(),
      offset: m.offset(),
      timestamp_type,
      timestamp,
      key: m.key(),
      value: m.payload(),
      headers,
    }
  }

  /// A view of a message taken from librdkafka in a batch (see [`super::fetch`]).
  ///
  /// # Safety
  /// `m` is a message librdkafka returned without an error, not yet destroyed; the view borrows it.
  pub unsafe fn raw(m: &'a rd::rd_kafka_message_t) -> MessageView<'a> {
    // SAFETY (all): fields of a live message, as librdkafka documents them.
    unsafe {
      let topic = CStr::from_ptr(rd::rd_kafka_topic_name(m.rkt)).to_str().unwrap_or_default();
      let mut kind = rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
      let ts = rd::rd_kafka_message_timestamp(m, &mut kind);
      let (timestamp_type, timestamp) = match kind {
        rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_CREATE_TIME => (1, ts),
        rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME => (2, ts),
        _ => (0, -1),
      };
      let mut headers = Vec::new();
      let mut hdrs: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
      if rd::rd_kafka_message_headers(m, &mut hdrs) == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        for i in 0..rd::rd_kafka_header_cnt(hdrs) {
          let (mut name, mut value, mut size) = (std::ptr::null(), std::ptr::null(), 0usize);
          if rd::rd_kafka_header_get_all(hdrs, i, &mut name, &mut value, &mut size) == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            headers.push((CStr::from_ptr(name).to_bytes(), slice(value, size)));
          }
        }
      }
      MessageView {
        topic,
        partition: m.partition,
        offset: m.offset,
        timestamp_type,
        timestamp,
        key: slice(m.key, m.key_len),
        value: slice(m.payload, m.len),
        headers,
      }
    }
  }
}

/// The bytes at `p` (None when null).
///
/// # Safety
/// `p` is null or points to `len` readable bytes that outlive `'a`.
unsafe fn slice<'a>(p: *const std::ffi::c_void, len: usize) -> Option<&'a [u8]> {
  if p.is_null() {
    None
  } else {
    // SAFETY: see above.
    Some(unsafe { std::slice::from_raw_parts(p as *const u8, len) })
  }
}

impl ChunkWriter {
  pub fn is_empty(&self) -> bool {
    self.buf.is_empty()
  }

  /// The chunk index of `topic`, writing its topic record the first time.
  pub fn topic(&mut self, topic: &str) -> u16 {
    if let Some((last, i)) = &self.last_topic {
      if last == topic {
        return *i;
      }
    }
    if let Some(&i) = self.topics.get(topic) {
      self.last_topic = Some((topic.to_string(), i));
      return i;
    }
    let i = self.topics.len() as u16;
    self.buf.push(TAG_TOPIC);
    self.str16(topic);
    self.topics.insert(topic.to_string(), i);
    self.last_topic = Some((topic.to_string(), i));
    i
  }

  fn str16(&mut self, s: &str) {
    self.bytes16(s.as_bytes());
  }

  fn bytes16(&mut self, bytes: &[u8]) {
    let bytes = &bytes[..bytes.len().min(u16::MAX as usize)];
    self.buf.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    self.buf.extend_from_slice(bytes);
  }

  fn bytes32(&mut self, b: Option<&[u8]>) {
    match b {
      None => self.buf.extend_from_slice(&(-1i32).to_le_bytes()),
      Some(b) => {
        self.buf.extend_from_slice(&(b.len() as i32).to_le_bytes());
        self.buf.extend_from_slice(b);
      }
    }
  }

  pub fn message(&mut self, m: &MessageView<'_>) {
    let t = self.topic(m.topic);
    self.buf.push(TAG_MESSAGE);
    self.buf.extend_from_slice(&t.to_le_bytes());
    self.buf.extend_from_slice(&m.partition.to_le_bytes());
    self.buf.extend_from_slice(&m.offset.to_le_bytes());
    self.buf.push(m.timestamp_type);
    self.buf.extend_from_slice(&m.timestamp.to_le_bytes());
    self.bytes32(m.key);
    self.bytes32(m.value);
    let n = m.headers.len().min(u16::MAX as usize);
    self.buf.extend_from_slice(&(n as u16).to_le_bytes());
    for (k, v) in m.headers.iter().take(n) {
      self.bytes16(k);
      self.bytes32(*v);
    }
    self.messages += 1;
  }

  fn partitions(&mut self, list: &[(String, i32)]) {
    let idx: Vec<(u16, i32)> = list.iter().map(|(t, p)| (self.topic(t), *p)).collect();
    self.buf.extend_from_slice(&(idx.len() as u32).to_le_bytes());
    for (t, p) in idx {
      self.buf.extend_from_slice(&t.to_le_bytes());
      self.buf.extend_from_slice(&p.to_le_bytes());
    }
  }

  pub fn assign(&mut self, member_id: &str, list: &[(String, i32)]) {
    // Topic records go before the tag, so define them first.
    for (t, _) in list {
      self.topic(t);
    }
    self.buf.push(TAG_ASSIGN);
    self.str16(member_id);
    self.partitions(list);
  }

  pub fn revoke(&mut self, list: &[(String, i32)]) {
    for (t, _) in list {
      self.topic(t);
    }
    self.buf.push(TAG_REVOKE);
    self.partitions(list);
  }

  pub fn error(&mut self, code: i32, name: &str, message: &str, at: Option<(&str, i32)>) {
    let (t, p) = match at {
      Some((topic, p)) => (self.topic(topic), p),
      None => (NO_TOPIC, -1),
    };
    self.buf.push(TAG_ERROR);
    self.buf.extend_from_slice(&code.to_le_bytes());
    self.str16(name);
    let msg = message.as_bytes();
    self.buf.extend_from_slice(&(msg.len() as u32).to_le_bytes());
    self.buf.extend_from_slice(msg);
    self.buf.extend_from_slice(&t.to_le_bytes());
    self.buf.extend_from_slice(&p.to_le_bytes());
  }

  pub fn seeked(&mut self, topic: &str, partition: i32, offset: i64) {
    let t = self.topic(topic);
    self.buf.push(TAG_SEEKED);
    self.buf.extend_from_slice(&t.to_le_bytes());
    self.buf.extend_from_slice(&partition.to_le_bytes());
    self.buf.extend_from_slice(&offset.to_le_bytes());
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_message_is_laid_out_after_its_topic_record() {
    let mut w = ChunkWriter::default();
    w.message(&MessageView {
      topic: "t",
      partition: 2,
      offset: 7,
      timestamp_type: 1,
      timestamp: 1000,
      key: None,
      value: Some(b"v"),
      headers: vec![(&b"h"[..], Some(&b"x"[..])), (&b"n"[..], None)],
    });
    let mut want = vec![TAG_TOPIC, 1, 0, b't', TAG_MESSAGE, 0, 0, 2, 0, 0, 0];
    want.extend_from_slice(&7i64.to_le_bytes());
    want.push(1);
    want.extend_from_slice(&1000i64.to_le_bytes());
    want.extend_from_slice(&(-1i32).to_le_bytes());
    want.extend_from_slice(&1i32.to_le_bytes());
    want.push(b'v');
    want.extend_from_slice(&2u16.to_le_bytes());
    want.extend_from_slice(&[1, 0, b'h', 1, 0, 0, 0, b'x', 1, 0, b'n']);
    want.extend_from_slice(&(-1i32).to_le_bytes());
    assert_eq!(w.buf, want);
    assert_eq!(w.messages, 1);
  }

  #[test]
  fn topics_are_defined_once_and_rebalances_list_partitions() {
    let mut w = ChunkWriter::default();
    w.assign("m", &[("a".into(), 0), ("b".into(), 1)]);
    w.revoke(&[("a".into(), 0)]);
    let mut want = vec![TAG_TOPIC, 1, 0, b'a', TAG_TOPIC, 1, 0, b'b', TAG_ASSIGN, 1, 0, b'm', 2, 0, 0, 0];
    want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]);
    want.extend_from_slice(&[TAG_REVOKE, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(w.buf, want);
  }

  #[test]
  fn an_error_without_a_topic_uses_the_no_topic_index() {
    let mut w = ChunkWriter::default();
    w.error(-195, "TRANSPORT", "down", None);
    let mut want = vec![TAG_ERROR];
    want.extend_from_slice(&(-195i32).to_le_bytes());
    want.extend_from_slice(&[9, 0]);
    want.extend_from_slice(b"TRANSPORT");
    want.extend_from_slice(&[4, 0, 0, 0]);
    want.extend_from_slice(b"down");
    want.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert_eq!(w.buf, want);
  }
}
