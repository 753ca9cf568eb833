//! One error model for the native core.
//!
//! Every failure that crosses into JavaScript is a [`NativeError`]. It becomes a `napi::Error`
//! whose message is a small JSON document, so that the JS layer (`lib/errors.js`) can rebuild a
//! typed error class from it without parsing prose:
//!
//! ```json
//! { "kind": "kafka", "code": 19, "name": "NOT_ENOUGH_REPLICAS", "message": "...", "failures": [...] }
//! ```
//!
//! `failures` (kind `delivery` only) lists the failed messages of a send, in message order:
//!
//! ```json
//! { "index": 3, "topic": 0, "partition": 1, "code": -152, "name": "PURGE_QUEUE",
//!   "message": "...", "persisted": "no" }
//! ```
//!
//! `index` is the message's place in the send, `topic` its index in the send's topic table
//! (4294967295 when the message was never read), `partition` -1 when none was assigned, and
//! `persisted` ([`Persisted`]) whether the broker may have stored it anyway.
//!
//! `kind` says which layer failed (`config`, `kafka`, `delivery`, `transaction`, `state`, `input`);
//! `code` is librdkafka's error code (positive: the Kafka protocol's code, negative: a local one).
//! Nothing here knows kafkajs.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use serde::Serialize;

/// Whether a failed message may nevertheless be stored by the broker: librdkafka's
/// `rd_kafka_message_status()` for a failed delivery report, and [`Persisted::No`] for a message
/// that never reached librdkafka. Serialised as `"no"`, `"possibly"`, `"yes"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Persisted {
  /// Never sent to a broker (never enqueued, refused by librdkafka, or purged from its queue
  /// before its first transmission): it is certainly not stored.
  No,
  /// Sent, but no acknowledgement came back (timed out, purged in flight, connection lost):
  /// it may be stored. Retrying it may duplicate it.
  Possibly,
  /// The broker acknowledged it, yet the report is an error (rare): it is stored.
  Yes,
}

/// A failed message of a send, as reported by its delivery report.
#[derive(Debug, Clone, Serialize)]
pub struct MessageFailure {
  /// Index of the message in the send's packed batch.
  pub index: u32,
  /// Index of its topic in the batch's topic table.
  pub topic: u32,
  /// The partition, or -1 when none was assigned before the failure.
  pub partition: i32,
  pub code: i32,
  pub name: String,
  pub message: String,
  /// Whether the broker may have stored it anyway.
  pub persisted: Persisted,
}

#[derive(Debug)]
pub enum NativeError {
  /// A configuration property librdkafka refused, or an invalid combination.
  Config(String),
  /// A librdkafka or broker error outside a delivery report.
  Kafka { code: i32, name: String, message: String },
  /// One or more messages of a send failed; the first failure gives code and name.
  Delivery { failures: Vec<MessageFailure> },
  /// A transaction call failed; the flags say whether it may be retried, must be aborted, or
  /// the producer is unusable (fatal, e.g. fenced).
  Transaction {
    code: i32,
    name: String,
    message: String,
    retriable: bool,
    abortable: bool,
    fatal: bool,
  },
  /// The producer is not in a state that allows the operation.
  State(String),
  /// The arguments from JS are malformed.
  Input(String),
}

pub type NativeResult<T> = Result<T, NativeError>;

/// The code of errors that are not librdkafka's (configuration, state, input): -1, UNKNOWN.
const UNKNOWN: i32 = RDKafkaErrorCode::Unknown as i32;

/// `NotEnoughReplicas` -> `NOT_ENOUGH_REPLICAS`: librdkafka's names in the Kafka protocol's style.
pub fn code_name(code: RDKafkaErrorCode) -> String {
  let camel = format!("{code:?}");
  let mut out = String::with_capacity(camel.len() + 8);
  let mut prev_lower = false;
  for ch in camel.chars() {
    if ch.is_ascii_uppercase() && prev_lower {
      out.push('_');
    }
    prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
    out.push(ch.to_ascii_uppercase());
  }
  out
}

/// `(numeric code, NAME, librdkafka's description)` of an error code.
pub fn code_parts(code: RDKafkaErrorCode) -> (i32, String, String) {
  // Display renders "Variant (description)"; keep the description.
  let shown = code.to_string();
  let text = match (shown.find(" ("), shown.ends_with(')')) {
    (Some(i), true) => shown[i + 2..shown.len() - 1].to_string(),
    _ => shown,
  };
  (code as i32, code_name(code), text)
}

impl From<KafkaError> for NativeError {
  fn from(err: KafkaError) -> Self {
    match err.rdkafka_error_code() {
      Some(code) => {
        let (code, name, _) = code_parts(code);
        NativeError::Kafka {
          code,
          name,
          message: err.to_string(),
        }
      }
      None => match err {
        KafkaError::ClientCreation(msg) => NativeError::Config(msg),
        KafkaError::ClientConfig(_, desc, _, _) => NativeError::Config(desc),
        other => NativeError::Kafka {
          code: RDKafkaErrorCode::Fail as i32,
          name: "FAIL".into(),
          message: other.to_string(),
        },
      },
    }
  }
}

#[derive(Serialize)]
struct Payload<'a> {
  kind: &'a str,
  code: i32,
  name: &'a str,
  message: &'a str,
  #[serde(skip_serializing_if = "Option::is_none")]
  failures: Option<&'a [MessageFailure]>,
  #[serde(skip_serializing_if = "Option::is_none")]
  txn: Option<TxnFlags>,
}

#[derive(Serialize)]
struct TxnFlags {
  retriable: bool,
  abortable: bool,
  fatal: bool,
}

impl NativeError {
  fn payload(&self) -> String {
    let p = match self {
      NativeError::Config(m) => Payload {
        kind: "config",
        code: UNKNOWN,
        name: "INVALID_CONFIG",
        message: m,
        failures: None,
        txn: None,
      },
      NativeError::Kafka { code, name, message } => Payload {
        kind: "kafka",
        code: *code,
        name,
        message,
        failures: None,
        txn: None,
      },
      NativeError::Delivery { failures } => {
        let first = failures.first();
        Payload {
          kind: "delivery",
          code: first.map_or(UNKNOWN, |f| f.code),
          name: first.map_or("UNKNOWN", |f| f.name.as_str()),
          message: first.map_or("delivery failed", |f| f.message.as_str()),
          failures: Some(failures),
          txn: None,
        }
      }
      NativeError::Transaction {
        code,
        name,
        message,
        retriable,
        abortable,
        fatal,
      } => Payload {
        kind: "transaction",
        code: *code,
        name,
        message,
        failures: None,
        txn: Some(TxnFlags {
          retriable: *retriable,
          abortable: *abortable,
          fatal: *fatal,
        }),
      },
      NativeError::State(m) => Payload {
        kind: "state",
        code: UNKNOWN,
        name: "STATE",
        message: m,
        failures: None,
        txn: None,
      },
      NativeError::Input(m) => Payload {
        kind: "input",
        code: UNKNOWN,
        name: "INVALID_ARG",
        message: m,
        failures: None,
        txn: None,
      },
    };
    serde_json::to_string(&p).unwrap_or_else(|_| r#"{"kind":"kafka","code":-1,"name":"UNKNOWN","message":"unserialisable error"}"#.into())
  }
}

impl From<NativeError> for napi::Error {
  fn from(err: NativeError) -> Self {
    napi::Error::new(napi::Status::GenericFailure, err.payload())
  }
}
