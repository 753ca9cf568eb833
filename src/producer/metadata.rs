//! Cluster metadata through a producer's client: brokers and topics with their partitions
//! (leader, replicas, ISR, error codes), as the JS layer needs them for `connect` and for its
//! partitioners.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use napi_derive::napi;
use rdkafka::producer::Producer;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use crate::client::Client;
use crate::error::{NativeError, NativeResult};

#[napi(object)]
pub struct PartitionInfo {
  pub partition_id: i32,
  pub leader: i32,
  pub replicas: Vec<i32>,
  pub isr: Vec<i32>,
  pub partition_error_code: i32,
}

#[napi(object)]
pub struct TopicInfo {
  pub topic: String,
  pub error_code: i32,
  pub partitions: Vec<PartitionInfo>,
}

#[napi(object)]
pub struct BrokerInfo {
  pub node_id: i32,
  pub host: String,
  pub port: i32,
}

#[napi(object)]
pub struct ClusterInfo {
  pub brokers: Vec<BrokerInfo>,
  pub topics: Vec<TopicInfo>,
}

pub fn topic_info(t: &rdkafka::metadata::MetadataTopic) -> TopicInfo {
  TopicInfo {
    topic: t.name().to_string(),
    error_code: t.error().map_or(0, |e| RDKafkaErrorCode::from(e) as i32),
    partitions: t
      .partitions()
      .iter()
      .map(|p| PartitionInfo {
        partition_id: p.id(),
        leader: p.leader(),
        replicas: p.replicas().to_vec(),
        isr: p.isr().to_vec(),
        partition_error_code: p.error().map_or(0, |e| RDKafkaErrorCode::from(e) as i32),
      })
      .collect(),
  }
}

/// Fetches brokers and `topic` (or every topic), blocking, for up to `timeout`. Asked in slices
/// of at most 1 s, so that a `close` (setting `closed`, e.g. after a refused connect) ends the
/// wait at once instead of holding the client, and the process, until the timeout.
pub fn fetch(client: &Arc<Client>, topic: Option<&str>, timeout: Duration, closed: &AtomicBool) -> NativeResult<ClusterInfo> {
  let deadline = Instant::now() + timeout;
  let md = loop {
    let slice = deadline.saturating_duration_since(Instant::now()).min(Duration::from_secs(1));
    match client.client().fetch_metadata(topic, Timeout::After(slice)) {
      Ok(md) => break md,
      Err(e) if Instant::now() >= deadline || closed.load(Ordering::Acquire) => return Err(NativeError::from(e)),
      Err(_) => continue,
    }
  };
  Ok(ClusterInfo {
    brokers: md
      .brokers()
      .iter()
      .map(|b| BrokerInfo {
        node_id: b.id(),
        host: b.host().to_string(),
        port: b.port(),
      })
      .collect(),
    topics: md.topics().iter().map(topic_info).collect(),
  })
}
