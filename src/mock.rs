//! librdkafka's in-process mock cluster, for exact fault injection in tests and for the
//! `--embedded` demo. It speaks the Kafka protocol on loopback TCP, so any client (kafkajs too)
//! can use it; it has no SASL, no admin API and no real replication. It is a complement to the
//! real brokers of the test bed, never the only proof of a guarantee.

use std::time::Duration;

use napi_derive::napi;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaErrorCode, RDKafkaRespErr};

use crate::error::NativeError;

/// librdkafka's local code for a dropped connection (-195), injectable like a protocol code.
const TRANSPORT: i32 = RDKafkaErrorCode::BrokerTransportFailure as i32;

/// The error codes a test may inject (Kafka protocol codes, and [`TRANSPORT`]).
fn resp_err(code: i32) -> Option<RDKafkaRespErr> {
  use RDKafkaRespErr::*;
  Some(match code {
    TRANSPORT => RD_KAFKA_RESP_ERR__TRANSPORT,
    2 => RD_KAFKA_RESP_ERR_INVALID_MSG,
    3 => RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    5 => RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
    6 => RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
    7 => RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
    10 => RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
    13 => RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
    15 => RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
    16 => RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
    19 => RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
    20 => RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    22 => RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
    25 => RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
    27 => RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
    29 => RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
    87 => RD_KAFKA_RESP_ERR_INVALID_RECORD,
    _ => return None,
  })
}

/// An in-process mock Kafka cluster. Destroyed when garbage-collected or on `close()`.
#[napi]
pub struct NativeMockCluster {
  inner: Option<MockCluster<'static, DefaultProducerContext>>,
}

impl NativeMockCluster {
  fn cluster(&self) -> napi::Result<&MockCluster<'static, DefaultProducerContext>> {
    self
      .inner
      .as_ref()
      .ok_or_else(|| NativeError::State("the mock cluster is closed".into()).into())
  }
}

fn mock_err(e: rdkafka::error::KafkaError) -> napi::Error {
  NativeError::from(e).into()
}

#[napi]
impl NativeMockCluster {
  #[napi(constructor)]
  pub fn new(brokers: i32) -> napi::Result<Self> {
    if !(1..=16).contains(&brokers) {
      return Err(NativeError::Input(format!("a mock cluster has 1 to 16 brokers, not {brokers}")).into());
    }
    let inner = MockCluster::new(brokers).map_err(mock_err)?;
    Ok(NativeMockCluster { inner: Some(inner) })
  }

  /// The `host:port,...` list to use as `brokers`.
  #[napi]
  pub fn bootstrap_servers(&self) -> napi::Result<String> {
    Ok(self.cluster()?.bootstrap_servers())
  }

  #[napi]
  pub fn create_topic(&self, topic: String, partitions: i32, replication_factor: i32) -> napi::Result<()> {
    self.cluster()?.create_topic(&topic, partitions, replication_factor).map_err(mock_err)
  }

  /// The next Produce requests fail with these codes, one per request, in order.
  #[napi]
  pub fn push_produce_errors(&self, codes: Vec<i32>) -> napi::Result<()> {
    let errs = codes
      .iter()
      .map(|c| resp_err(*c).ok_or_else(|| NativeError::Input(format!("error code {c} cannot be injected"))))
      .collect::<Result<Vec<_>, _>>()?;
    self.cluster()?.request_errors(RDKafkaApiKey::Produce, &errs);
    Ok(())
  }

  /// The next OffsetCommit requests fail with these codes, one per request, in order.
  #[napi]
  pub fn push_offset_commit_errors(&self, codes: Vec<i32>) -> napi::Result<()> {
    let errs = codes
      .iter()
      .map(|c| resp_err(*c).ok_or_else(|| NativeError::Input(format!("error code {c} cannot be injected"))))
      .collect::<Result<Vec<_>, _>>()?;
    self.cluster()?.request_errors(RDKafkaApiKey::OffsetCommit, &errs);
    Ok(())
  }

  #[napi]
  pub fn clear_produce_errors(&self) -> napi::Result<()> {
    self.cluster()?.clear_request_errors(RDKafkaApiKey::Produce);
    Ok(())
  }

  #[napi]
  pub fn broker_down(&self, broker: i32) -> napi::Result<()> {
    self.cluster()?.broker_down(broker).map_err(mock_err)
  }

  #[napi]
  pub fn broker_up(&self, broker: i32) -> napi::Result<()> {
    self.cluster()?.broker_up(broker).map_err(mock_err)
  }

  /// Adds `ms` of round-trip time to every response of `broker`.
  #[napi]
  pub fn broker_rtt(&self, broker: i32, ms: u32) -> napi::Result<()> {
    self
      .cluster()?
      .broker_round_trip_time(broker, Duration::from_millis(ms as u64))
      .map_err(mock_err)
  }

  #[napi]
  pub fn partition_leader(&self, topic: String, partition: i32, broker: i32) -> napi::Result<()> {
    self.cluster()?.partition_leader(&topic, partition, Some(broker)).map_err(mock_err)
  }

  #[napi]
  pub fn close(&mut self) {
    self.inner = None;
  }
}
