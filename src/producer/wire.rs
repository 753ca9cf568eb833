//! The two wire formats between JS and the core: the packed messages a send hands over
//! (`lib/pack.js` writes them, [`Reader`] reads them) and the completions a drain hands back
//! ([`write_completion`] writes them, `SendTracker.drain` in `lib/producer.js` reads them).
//! Pure byte handling: nothing here talks to librdkafka.

use rdkafka::message::{Header, OwnedHeaders};

use crate::delivery::SendOutcome;
use crate::error::{NativeError, NativeResult};

/// Marks a failed send in the completion buffer (in place of its partition count).
pub const FAILED: u32 = u32::MAX;

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
pub fn write_completion(out: &mut Vec<u8>, id: u32, outcome: SendOutcome) {
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

/// Reads the packed batch written by `lib/pack.js`. All integers little-endian:
///
/// ```text
/// u32 topicCount, then per topic: u32 len, utf8 bytes
/// u32 messageCount, then per message:
///   u32 topic index, i32 partition (-1: let librdkafka choose), f64 timestamp ms (0: now),
///   i32 keyLen (-1: null) + bytes, i32 valueLen (-1: null) + bytes,
///   u32 headerCount, then per header: u32 nameLen + utf8 bytes, i32 valueLen (-1: null) + bytes
/// ```
///
/// Every read is bounds-checked: a truncated or inconsistent buffer is a
/// [`NativeError::Input`], never a panic.
pub struct Reader<'a> {
  pub(super) buf: &'a [u8],
  /// The next byte to read.
  pub(super) pos: usize,
}

impl<'a> Reader<'a> {
  pub fn new(buf: &'a [u8]) -> Self {
    Reader { buf, pos: 0 }
  }

  /// A reader resuming at `pos` (a position an earlier reader of `buf` stopped at).
  pub(super) fn at(buf: &'a [u8], pos: usize) -> Self {
    Reader { buf, pos }
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

  pub(super) fn u32(&mut self) -> NativeResult<u32> {
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

  /// `i32 len` (-1, or any negative length: null) and that many bytes.
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

/// One message of a packed batch, borrowing its bytes.
pub struct Message<'a> {
  /// Index into the send's topic table (checked by the caller).
  pub topic: u32,
  pub partition: i32,
  pub timestamp: f64,
  pub key: Option<&'a [u8]>,
  pub value: Option<&'a [u8]>,
  pub headers: Option<OwnedHeaders>,
}

pub fn read_message<'a>(r: &mut Reader<'a>) -> NativeResult<Message<'a>> {
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
pub fn read_topics<'a>(r: &mut Reader<'a>) -> NativeResult<Vec<&'a str>> {
  let n = r.u32()?;
  let mut topics = Vec::with_capacity(n.min(4096) as usize);
  for _ in 0..n {
    topics.push(r.str()?);
  }
  Ok(topics)
}
