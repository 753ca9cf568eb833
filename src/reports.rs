//! Serving a client's main queue on the JS thread, delivery reports by the run.
//!
//! rust-rdkafka's `BaseProducer::poll` wraps every reported message (a `BorrowedMessage` holding a
//! clone of the event's `Arc`) and calls the context once per message, which recorded it into its
//! send under the send's lock with a hash lookup. In W4 at 100 B that per-message path was about
//! a third of the JS thread's time. Here a report event is read as librdkafka's message array,
//! and consecutive delivered messages of one send, topic and partition (what one produce request
//! returns) are recorded together: one lock, one lookup and one count down per run. Failures are
//! recorded one by one, as before. Client errors and librdkafka's logs (rust-rdkafka sets
//! `log.queue`, so they come on this queue too) go to the context's event sink as rust-rdkafka
//! would route them; an error once (its poll called the context twice per error event).
//! Statistics are off, and an OAUTHBEARER client is served by its own thread through rust-rdkafka.

use std::ffi::CStr;
use std::sync::Arc;

use rdkafka::bindings as rd;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::delivery::{persistence_of, Batch, Pending};
use crate::events::Context;

/// Consecutive delivered messages of one send, topic and partition.
struct Run {
  batch: Arc<Batch>,
  topic: u32,
  partition: i32,
  /// Lowest non-negative offset so far (negative: none yet, as librdkafka gave it).
  offset: i64,
  log_append_time: i64,
  count: usize,
}

impl Run {
  fn record(self) {
    self
      .batch
      .delivered_run(self.topic, self.partition, self.offset, self.log_append_time, self.count);
  }
}

/// The broker's LogAppendTime of `msg`, else -1.
///
/// # Safety
/// `msg` is a live message of a delivery report.
unsafe fn log_append_time(msg: *const rd::rd_kafka_message_t) -> i64 {
  let mut kind = rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  let t = rd::rd_kafka_message_timestamp(msg, &mut kind);
  if kind == rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME {
    t
  } else {
    -1
  }
}

/// Handles one event taken from a producer's main queue, and destroys it.
///
/// # Safety
/// `ev` is an event just polled from the main queue of a producer whose messages carry
/// `Box<Pending>` opaques (every message kafka-napi enqueues does).
pub unsafe fn serve_event(ctx: &Context, ev: *mut rd::rd_kafka_event_t) {
  match rd::rd_kafka_event_type(ev) {
    rd::RD_KAFKA_EVENT_DR => delivery_reports(ev),
    rd::RD_KAFKA_EVENT_ERROR => {
      let code = rd::rd_kafka_event_error(ev);
      let reason = CStr::from_ptr(rd::rd_kafka_event_error_string(ev)).to_string_lossy();
      ctx.error(KafkaError::Global(code.into()), reason.trim());
    }
    rd::RD_KAFKA_EVENT_LOG => {
      // rust-rdkafka sets `log.queue`: librdkafka's logs arrive here, on the main queue.
      let (mut fac, mut text, mut level) = (std::ptr::null(), std::ptr::null(), 0);
      if rd::rd_kafka_event_log(ev, &mut fac, &mut text, &mut level) == 0 && !fac.is_null() && !text.is_null() {
        let fac = CStr::from_ptr(fac).to_string_lossy();
        let text = CStr::from_ptr(text).to_string_lossy();
        // Syslog levels, as the context's `log` receives them (0 emergency .. 7 debug).
        ctx.sink.emit("log", level.clamp(0, 7), fac.trim(), text.trim(), None);
      }
    }
    _ => {}
  }
  rd::rd_kafka_event_destroy(ev);
}

/// Settles every message of a delivery-report event.
///
/// # Safety
/// As [`serve_event`], for an `RD_KAFKA_EVENT_DR` event.
unsafe fn delivery_reports(ev: *mut rd::rd_kafka_event_t) {
  let n = rd::rd_kafka_event_message_count(ev);
  let mut msgs: Vec<*const rd::rd_kafka_message_t> = Vec::with_capacity(n);
  let got = rd::rd_kafka_event_message_array(ev, msgs.as_mut_ptr(), n);
  msgs.set_len(got.min(n));
  let mut run: Option<Run> = None;
  for &msg in &msgs {
    let opaque = (*msg)._private as *mut Pending;
    if opaque.is_null() {
      continue;
    }
    let pending = Box::from_raw(opaque);
    let partition = (*msg).partition;
    if (*msg).err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
      // A failure ends the run before it, so each send's records keep report order.
      if let Some(r) = run.take() {
        r.record();
      }
      pending.report_failure(partition, RDKafkaErrorCode::from((*msg).err), persistence_of(msg));
      continue;
    }
    let offset = (*msg).offset;
    let (batch, topic) = pending.place();
    let same = run
      .as_ref()
      .is_some_and(|r| Arc::ptr_eq(&r.batch, batch) && r.topic == topic && r.partition == partition);
    if same {
      if let Some(r) = run.as_mut() {
        if offset >= 0 && (r.offset < 0 || offset < r.offset) {
          r.offset = offset;
        }
        r.count += 1;
      }
    } else {
      if let Some(r) = run.take() {
        r.record();
      }
      run = Some(Run {
        batch: batch.clone(),
        topic,
        partition,
        offset,
        log_append_time: log_append_time(msg),
        count: 1,
      });
    }
    pending.counted_in_run();
  }
  if let Some(r) = run.take() {
    r.record();
  }
}
