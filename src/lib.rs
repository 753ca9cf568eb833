#![deny(clippy::all)]
//! kafka-napi's native core: a librdkafka producer and consumer for Node.js.
//!
//! This crate knows librdkafka and nothing of kafkajs. It takes flat librdkafka property maps
//! and messages packed into one buffer per send, and gives back per-partition delivery results
//! or errors as JSON payloads. The kafkajs face (validation, config mapping, error classes,
//! partitioners, events) lives in `lib/`, in JavaScript.
//!
//! - [`consumer`]: one librdkafka group consumer per JS consumer: chunked polls, rebalances, offsets.
//! - [`producer`]: clients per send profile, the send path (`wire`, `enqueue`), metadata and close.
//! - [`client`]: one librdkafka client, its delivery reports served on the JS thread.
//! - [`delivery`]: per-send aggregation of delivery reports, completions handed to JS in bulk.
//! - [`events`]: librdkafka's context: delivery reports, logs and errors forwarded to JS.
//! - [`config`]: property maps to `ClientConfig`, secrets redacted from errors.
//! - [`error`]: the one error type and its JSON payload.
//! - [`transaction`]: transactions on a transactional producer.
//! - [`threads`]: librdkafka's threads at a lower priority than the JS thread.
//! - [`mock`]: librdkafka's in-process mock cluster, for exact fault injection and the embedded demo.

pub mod client;
pub mod config;
pub mod consumer;
pub mod delivery;
pub mod error;
pub mod events;
pub mod mock;
pub mod producer;
pub mod reports;
pub mod threads;
pub mod transaction;

use napi_derive::napi;

/// The librdkafka version linked into this module, e.g. "2.12.1".
#[napi]
pub fn librdkafka_version() -> String {
  rdkafka::util::get_rdkafka_version().1
}
