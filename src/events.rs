//! librdkafka logs and client errors, forwarded to JavaScript.
//!
//! librdkafka calls [`ClientContext::log`] and [`ClientContext::error`] on its own threads. The
//! sink hands each line to a JS listener through a *weak* (unref'd) threadsafe function, so an
//! idle producer never holds the Node process open. Each event is one JSON string
//! `{ "type": "log"|"error", "level": <syslog>, "facility": "...", "message": "...", "code"?: n }`,
//! with every configured secret replaced by `[redacted]` before it leaves Rust.

use std::sync::{Arc, RwLock};

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use serde::Serialize;

use crate::delivery::{report, Pending};

type Listener = ThreadsafeFunction<String, (), String, napi::Status, false, true>;

#[derive(Default)]
pub struct EventSink {
  listener: RwLock<Option<Listener>>,
  secrets: Vec<String>,
}

#[derive(Serialize)]
struct Event<'a> {
  #[serde(rename = "type")]
  kind: &'a str,
  level: i32,
  facility: &'a str,
  message: &'a str,
  #[serde(skip_serializing_if = "Option::is_none")]
  code: Option<i32>,
}

impl EventSink {
  pub fn new(secrets: Vec<String>) -> Self {
    EventSink {
      listener: RwLock::new(None),
      secrets,
    }
  }

  pub fn set_listener(&self, callback: Function<String, ()>) -> napi::Result<()> {
    let tsfn: Listener = callback.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
    if let Ok(mut g) = self.listener.write() {
      *g = Some(tsfn);
    }
    Ok(())
  }

  pub fn clear_listener(&self) {
    if let Ok(mut g) = self.listener.write() {
      *g = None;
    }
  }

  fn emit(&self, kind: &str, level: i32, facility: &str, message: &str, code: Option<i32>) {
    let Ok(guard) = self.listener.read() else { return };
    let Some(listener) = guard.as_ref() else { return };
    let mut text = message.to_string();
    for s in &self.secrets {
      if !s.is_empty() {
        text = text.replace(s.as_str(), "[redacted]");
      }
    }
    let event = Event {
      kind,
      level,
      facility,
      message: &text,
      code,
    };
    if let Ok(json) = serde_json::to_string(&event) {
      listener.call(json, ThreadsafeFunctionCallMode::NonBlocking);
    }
  }
}

/// The librdkafka context of every client: routes delivery reports to their batch and
/// logs/errors to the event sink.
pub struct Context {
  pub sink: Arc<EventSink>,
}

impl ClientContext for Context {
  fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
    self.sink.emit("log", level as i32, fac, log_message, None);
  }

  fn error(&self, error: KafkaError, reason: &str) {
    let code = error.rdkafka_error_code().map(|c| c as i32);
    self.sink.emit("error", 3, "ERROR", reason, code);
  }
}

impl ProducerContext for Context {
  type DeliveryOpaque = Box<Pending>;

  fn delivery(&self, result: &DeliveryResult<'_>, pending: Box<Pending>) {
    match result {
      Ok(msg) => report(Ok(msg), pending),
      Err((err, msg)) => report(Err((err, msg)), pending),
    }
  }
}
