//! SASL/OAUTHBEARER tokens for the consumer, whether or not anything polls.
//!
//! librdkafka asks for a token when the client is created and again before the current one
//! expires, with an event that rust-rdkafka serves inside a poll. A producer's poll thread serves
//! it; a consumer polls only while it runs, so its connect (a metadata request before `run`)
//! waited for a token that never came. The consumer is therefore created with librdkafka's SASL
//! queue (`enable_sasl_queue`): token requests wait there, and one thread of ours serves that
//! queue from the moment the app's provider is set until the consumer closes.

use std::ffi::CString;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaRespErr;

use crate::events::EventSink;

/// How long one wait on the SASL queue lasts: the most `stop` waits for the thread when no
/// token request is being answered.
const SLICE_MS: i32 = 100;

/// The queue handle and its client, moved to the thread. The client outlives the thread:
/// [`TokenServer`] is stopped and joined before the consumer is destroyed.
struct SaslQueue {
  rk: *mut rd::rd_kafka_t,
  q: *mut rd::rd_kafka_queue_t,
}

// SAFETY: librdkafka's client and queue handles may be used from any thread.
unsafe impl Send for SaslQueue {}

impl Drop for SaslQueue {
  fn drop(&mut self) {
    // SAFETY: our own queue handle, destroyed once.
    unsafe { rd::rd_kafka_queue_destroy(self.q) }
  }
}

/// The thread that answers the consumer's token requests; stops and joins it when dropped.
pub struct TokenServer {
  stop: Arc<AtomicBool>,
  thread: Option<JoinHandle<()>>,
}

impl TokenServer {
  /// Starts serving `rk`'s SASL queue with `sink`'s token provider. None when the client has no
  /// SASL queue (it was not created for OAUTHBEARER).
  pub fn start(rk: *mut rd::rd_kafka_t, sink: Arc<EventSink>) -> std::io::Result<Option<TokenServer>> {
    // SAFETY: a live client; a null answer means no SASL queue.
    let q = unsafe { rd::rd_kafka_queue_get_sasl(rk) };
    if q.is_null() {
      return Ok(None);
    }
    let queue = SaslQueue { rk, q };
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let thread = std::thread::Builder::new().name("kafka-napi-sasl".into()).spawn(move || {
      // The whole handle moves here (a closure would otherwise capture its raw pointers alone).
      let queue = queue;
      while !stopping.load(Ordering::Acquire) {
        // SAFETY: the queue handle is ours until `queue` drops, after this loop.
        let ev = unsafe { rd::rd_kafka_queue_poll(queue.q, SLICE_MS) };
        if ev.is_null() {
          continue;
        }
        // SAFETY: an event we own, destroyed once below.
        unsafe {
          if rd::rd_kafka_event_type(ev) == rd::RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH {
            answer(queue.rk, &sink);
          }
          rd::rd_kafka_event_destroy(ev);
        }
      }
    })?;
    Ok(Some(TokenServer { stop, thread: Some(thread) }))
  }
}

impl Drop for TokenServer {
  fn drop(&mut self) {
    self.stop.store(true, Ordering::Release);
    if let Some(t) = self.thread.take() {
      let _ = t.join();
    }
  }
}

/// Asks the app's provider (through JS, waiting at most its timeout) and hands librdkafka the
/// token, or the failure, which librdkafka reports and retries.
///
/// # Safety
/// `rk` is a live client.
unsafe fn answer(rk: *mut rd::rd_kafka_t, sink: &EventSink) {
  let failure = match sink.request_token() {
    Ok(t) => match (CString::new(t.token), CString::new(t.principal_name)) {
      (Ok(token), Ok(principal)) => {
        let mut errstr = [0 as std::ffi::c_char; 512];
        let err = rd::rd_kafka_oauthbearer_set_token(
          rk,
          token.as_ptr(),
          t.lifetime_ms,
          principal.as_ptr(),
          ptr::null_mut(),
          0,
          errstr.as_mut_ptr(),
          errstr.len(),
        );
        if err == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
          return;
        }
        std::ffi::CStr::from_ptr(errstr.as_ptr()).to_string_lossy().into_owned()
      }
      _ => "the token or its principal contains a NUL byte".to_string(),
    },
    Err(e) => e,
  };
  // No NUL is left, so this never falls back to the empty string.
  let text = CString::new(failure.replace('\0', " ")).unwrap_or_default();
  rd::rd_kafka_oauthbearer_set_token_failure(rk, text.as_ptr());
  // librdkafka reports the failure on the consumer's queue, which nothing polls before `run`:
  // say it here too, so a connect in progress fails as an authentication error, with the cause.
  let message = format!("Failed to acquire SASL OAUTHBEARER token: {}", text.to_string_lossy());
  sink.emit("error", 3, "ERROR", &message, Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR__AUTHENTICATION as i32));
}
