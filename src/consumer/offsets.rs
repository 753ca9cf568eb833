//! Offsets: stored as JS resolves messages, committed when JS decides.
//!
//! The consumer runs with `enable.auto.commit=false` and `enable.auto.offset.store=false`: an
//! offset reaches librdkafka's offset store only when JS stores it (a handled message), and is
//! committed only by an explicit commit, or by the commit before a revocation
//! ([`super::rebalance`]). Offsets are "next to read" (the handled message's offset + 1), as in
//! Kafka and kafkajs.

use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;

use super::rebalance::ConsumerCtx;
use crate::error::{NativeError, NativeResult};

/// A list of (topic, partition, offset) from JS's three parallel arrays.
pub fn offsets_tpl(topics: &[String], partitions: &[i32], offsets: &[i64]) -> NativeResult<TopicPartitionList> {
  if topics.len() != partitions.len() || topics.len() != offsets.len() {
    return Err(NativeError::Input("topics, partitions and offsets differ in length".into()));
  }
  let mut tpl = TopicPartitionList::new();
  for ((t, p), o) in topics.iter().zip(partitions).zip(offsets) {
    tpl
      .add_partition_offset(t, *p, Offset::from_raw(*o))
      .map_err(|e| NativeError::Input(format!("offset {o} of {t}/{p}: {e}")))?;
  }
  Ok(tpl)
}

/// Stores offsets of handled messages. Offsets of partitions no longer assigned are refused by
/// librdkafka (a revoked partition's stale messages): that is not an error here. Returns how
/// many were refused.
pub fn store(c: &BaseConsumer<ConsumerCtx>, tpl: &TopicPartitionList) -> u32 {
  match c.store_offsets(tpl) {
    Ok(()) => 0,
    Err(_) => tpl.elements().len() as u32,
  }
}

/// Commits `tpl` (or, when empty, everything stored) and waits for the coordinator's answer at
/// most `timeout`: call off the JS thread. Nothing stored since the last commit is not an error.
///
/// librdkafka's synchronous commit waits without a bound: while the group's coordinator is down,
/// or moving, a commit can wait minutes for its answer, and a member waiting in its rebalance
/// callback then holds up the whole group's rejoin. Past `timeout` the commit is left to finish
/// (or fail) on its own, its answer discarded, and `OperationTimedOut` returned: the offsets stay
/// stored, so the next commit covers them.
pub fn commit(c: &BaseConsumer<ConsumerCtx>, tpl: &TopicPartitionList, timeout: Duration) -> NativeResult<()> {
  match commit_bounded(c, (tpl.count() > 0).then_some(tpl), timeout) {
    Ok(()) => Ok(()),
    Err(e) => Err(KafkaError::ConsumerCommit(e).into()),
  }
}

/// [`commit`] with librdkafka's error code (`None`: the stored offsets).
pub fn commit_bounded(c: &BaseConsumer<ConsumerCtx>, tpl: Option<&TopicPartitionList>, timeout: Duration) -> Result<(), RDKafkaErrorCode> {
  let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
  // SAFETY: a live client. The queue is ours; the commit's reply holds its own reference to it,
  // so destroying our handle before the reply arrives is safe (librdkafka drops the reply).
  let err = unsafe {
    let rk = c.client().native_ptr();
    let q = rd::rd_kafka_queue_new(rk);
    if q.is_null() {
      return Err(RDKafkaErrorCode::Fail);
    }
    let list = tpl.map_or(std::ptr::null_mut(), |t| t.ptr());
    let mut err = rd::rd_kafka_commit_queue(rk, list, q, None, std::ptr::null_mut());
    if err == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
      let ev = rd::rd_kafka_queue_poll(q, ms);
      if ev.is_null() {
        err = RDKafkaRespErr::RD_KAFKA_RESP_ERR__TIMED_OUT;
      } else {
        err = rd::rd_kafka_event_error(ev);
        rd::rd_kafka_event_destroy(ev);
      }
    }
    rd::rd_kafka_queue_destroy(q);
    err
  };
  match RDKafkaErrorCode::from(err) {
    RDKafkaErrorCode::NoError | RDKafkaErrorCode::NoOffset => Ok(()),
    code => Err(code),
  }
}
