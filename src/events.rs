//! librdkafka logs and client errors, forwarded to JavaScript.
//!
//! librdkafka calls [`ClientContext::log`] and [`ClientContext::error`] on its own threads. The
//! sink hands each line to a JS listener through a *weak* (unref'd) threadsafe function, so an
//! idle producer never holds the Node process open. Each event is one JSON string
//! `{ "type": "log"|"error", "level": <syslog>, "facility": "...", "message": "...", "code"?: n }`,
//! with every configured secret replaced by `[redacted]` before it leaves Rust.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use serde::Serialize;

use crate::delivery::{report, Pending};

type Listener = ThreadsafeFunction<String, (), String, napi::Status, false, true>;
type TokenRequester = ThreadsafeFunction<u32, (), u32, napi::Status, false, true>;
type TokenReply = Result<OAuthToken, String>;

/// SASL/OAUTHBEARER: librdkafka asks for a token on its polling thread; the request goes to a JS
/// provider (async), whose answer comes back through `resolve_token` / `reject_token`.
struct TokenBridge {
  requester: TokenRequester,
  timeout: Duration,
}

#[derive(Default)]
pub struct EventSink {
  listener: RwLock<Option<Listener>>,
  secrets: Vec<String>,
  tokens: RwLock<Option<TokenBridge>>,
  pending_tokens: Mutex<HashMap<u32, mpsc::Sender<TokenReply>>>,
  next_token_request: AtomicU32,
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
    EventSink { secrets, ..Default::default() }
  }

  pub fn set_token_provider(&self, callback: Function<u32, ()>, timeout: Duration) -> napi::Result<()> {
    let requester: TokenRequester = callback.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
    *self.tokens.write().unwrap_or_else(PoisonError::into_inner) = Some(TokenBridge { requester, timeout });
    Ok(())
  }

  /// Delivers the JS provider's answer to the waiting librdkafka thread.
  /// The JS provider's token for request `id`; `lifetime_ms`: when it expires, in ms since the
  /// epoch. Shared by the producer's and the consumer's `resolveToken`.
  pub fn resolve_token(&self, id: u32, token: String, principal: String, lifetime_ms: f64) {
    let t = rdkafka::client::OAuthToken {
      token,
      principal_name: principal,
      lifetime_ms: lifetime_ms as i64,
    };
    self.settle_token(id, Ok(t));
  }

  pub fn settle_token(&self, id: u32, reply: TokenReply) {
    let tx = self.pending_tokens.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    if let Some(tx) = tx {
      let _ = tx.send(reply);
    }
  }

  /// Runs on librdkafka's polling thread: asks JS for a token and waits, bounded.
  pub(crate) fn request_token(&self) -> TokenReply {
    let (tx, rx) = mpsc::channel();
    let id = self.next_token_request.fetch_add(1, Ordering::Relaxed);
    let timeout = {
      let guard = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
      let bridge = guard.as_ref().ok_or_else(|| "no oauthBearerProvider configured".to_string())?;
      self.pending_tokens.lock().unwrap_or_else(PoisonError::into_inner).insert(id, tx);
      bridge.requester.call(id, ThreadsafeFunctionCallMode::NonBlocking);
      bridge.timeout
    };
    match rx.recv_timeout(timeout) {
      Ok(reply) => reply,
      Err(_) => {
        self.settle_token(id, Err(String::new()));
        Err(format!("oauthBearerProvider did not answer within {} ms", timeout.as_millis()))
      }
    }
  }

  pub fn set_listener(&self, callback: Function<String, ()>) -> napi::Result<()> {
    let tsfn: Listener = callback.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
    *self.listener.write().unwrap_or_else(PoisonError::into_inner) = Some(tsfn);
    Ok(())
  }

  /// Drops the listener and the token provider: their threadsafe functions hold JS callbacks
  /// that reference the producer, which holds this sink (a cycle no GC could collect).
  pub fn clear_listener(&self) {
    *self.listener.write().unwrap_or_else(PoisonError::into_inner) = None;
    *self.tokens.write().unwrap_or_else(PoisonError::into_inner) = None;
  }

  pub(crate) fn emit(&self, kind: &str, level: i32, facility: &str, message: &str, code: Option<i32>) {
    let guard = self.listener.read().unwrap_or_else(PoisonError::into_inner);
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
  const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

  fn generate_oauth_token(&self, _config: Option<&str>) -> Result<OAuthToken, Box<dyn std::error::Error>> {
    self.sink.request_token().map_err(|e| e.into())
  }

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
    report(result, *pending);
  }
}
