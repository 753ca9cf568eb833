//! Cluster and group metadata for the consumer: connect's probe (a broker answers, or the client
//! error that says why not), the topic names (kafkajs resolves a RegExp subscription against
//! them), one topic's state (asking for it by name lets the broker create it) and the
//! description of the consumer's group.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;

use super::fetch;
use super::poll::SLICE;
use super::rebalance::ConsumerCtx;
use crate::error::{NativeError, NativeResult};
use crate::producer::lock;

#[napi(object)]
pub struct GroupMember {
  pub member_id: String,
  pub client_id: String,
  pub client_host: String,
  /// The member's subscription metadata, as the broker keeps it.
  pub member_metadata: Buffer,
  /// The member's assignment, as the broker keeps it.
  pub member_assignment: Buffer,
}

#[napi(object)]
pub struct GroupDescription {
  pub group_id: String,
  /// "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead".
  pub state: String,
  /// The assignment strategy chosen for the group ("roundrobin", "cooperative-sticky", ...).
  pub protocol: String,
  pub protocol_type: String,
  pub members: Vec<GroupMember>,
}

/// Every topic name in the cluster.
pub fn topic_names(c: &BaseConsumer<ConsumerCtx>, timeout: Duration) -> NativeResult<Vec<String>> {
  let md = c.fetch_metadata(None, timeout)?;
  Ok(md.topics().iter().map(|t| t.name().to_string()).collect())
}

#[napi(object)]
pub struct TopicState {
  /// The topic's error code in the metadata response (0: none; 3: UNKNOWN_TOPIC_OR_PARTITION, 5:
  /// LEADER_NOT_AVAILABLE while a new topic is being created).
  pub error: i32,
  pub partitions: u32,
  /// Partitions that have a leader.
  pub leaders: u32,
}

/// The metadata of topic `name`, asked for by name. With `allow.auto.create.topics` the request
/// asks the broker to create a topic that does not exist (librdkafka's own requests for the
/// subscription never do while the consumer knows no topic: see `rd_kafka_metadata_refresh_consumer_topics`).
pub fn topic_state(c: &BaseConsumer<ConsumerCtx>, name: &str, timeout: Duration) -> NativeResult<TopicState> {
  let md = c.fetch_metadata(Some(name), timeout)?;
  let Some(t) = md.topics().iter().find(|t| t.name() == name) else {
    return Ok(TopicState {
      error: RDKafkaErrorCode::UnknownTopicOrPartition as i32,
      partitions: 0,
      leaders: 0,
    });
  };
  let partitions = t.partitions();
  Ok(TopicState {
    error: t.error().map_or(0, |e| e as i32),
    partitions: partitions.len() as u32,
    leaders: partitions.iter().filter(|p| p.leader() >= 0).count() as u32,
  })
}

/// Proves that a broker answers, for connect: a metadata request, on a thread of its own, while
/// this thread serves the consumer queue. Before the consumer runs nothing else polls that queue,
/// and it is where librdkafka reports a refused SASL login or a failed TLS handshake. Served, such
/// an error reaches the event listener (rust-rdkafka hands it to the context first, which is how
/// JS learns its reason), and the probe fails with it at once instead of at the request's timeout;
/// the request then ends on its own, holding the consumer until it does. Called before anything
/// subscribes, so the queue holds client errors only. `polling`: the poll thread's lock, held
/// while serving.
pub fn probe(c: Arc<fetch::Consumer>, polling: &Mutex<()>, timeout: Duration) -> NativeResult<()> {
  let Some(waker) = c.fetch.as_ref().map(|q| q.waker_handle()) else {
    return topic_names(&c, timeout).map(drop);
  };
  let answer: Arc<Mutex<Option<NativeResult<()>>>> = Arc::default();
  let request = {
    let (c, answer, waker) = (c.clone(), answer.clone(), waker.clone());
    move || {
      let answered = c.fetch_metadata(None, timeout).map(drop).map_err(NativeError::from);
      *lock(&answer) = Some(answered);
      waker.signal();
    }
  };
  thread::Builder::new()
    .name("kafka-napi-probe".into())
    .spawn(request)
    .map_err(|e| NativeError::State(format!("could not start the connect probe: {e}")))?;
  loop {
    let seen = waker.generation();
    if let Some(q) = c.fetch.as_ref().filter(|q| q.events_waiting()) {
      let _polling = lock(polling);
      while q.events_waiting() {
        if let Some(Err(e)) = c.poll(Duration::ZERO) {
          if matches!(e.rdkafka_error_code(), Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SSL)) {
            return Err(e.into());
          }
        }
      }
    }
    if let Some(answered) = lock(&answer).take() {
      return answered;
    }
    waker.wait(seen, SLICE);
  }
}

/// kafkajs's `describeGroup` from librdkafka's group list (DescribeGroups).
pub fn describe(c: &BaseConsumer<ConsumerCtx>, group: &str, timeout: Duration) -> NativeResult<GroupDescription> {
  let list = c.fetch_group_list(Some(group), timeout)?;
  let g = list
    .groups()
    .iter()
    .find(|g| g.name() == group)
    .ok_or_else(|| NativeError::State(format!("group {group} was not described by the coordinator")))?;
  Ok(GroupDescription {
    group_id: g.name().to_string(),
    state: g.state().to_string(),
    protocol: g.protocol().to_string(),
    protocol_type: g.protocol_type().to_string(),
    members: g
      .members()
      .iter()
      .map(|m| GroupMember {
        member_id: m.id().to_string(),
        client_id: m.client_id().to_string(),
        client_host: m.client_host().to_string(),
        member_metadata: m.metadata().unwrap_or_default().to_vec().into(),
        member_assignment: m.assignment().unwrap_or_default().to_vec().into(),
      })
      .collect(),
  })
}

/// The high watermark of each partition as of its last fetch response (librdkafka's cached
/// value, no request), -1 when unknown: kafkajs's `batch.highWatermark`.
pub fn cached_high_watermarks(c: &BaseConsumer<ConsumerCtx>, topics: &[String], partitions: &[i32]) -> Vec<i64> {
  topics
    .iter()
    .zip(partitions)
    .map(|(t, p)| {
      let Ok(name) = std::ffi::CString::new(t.as_str()) else { return -1 };
      let (mut low, mut high) = (-1i64, -1i64);
      // SAFETY: a live client, a NUL-terminated topic name, and two out-parameters.
      let err = unsafe { rdkafka::bindings::rd_kafka_get_watermark_offsets(c.client().native_ptr(), name.as_ptr(), *p, &mut low, &mut high) };
      if err == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
        high
      } else {
        -1
      }
    })
    .collect()
}
