//! Offsets: stored as JS resolves messages, committed when JS decides.
//!
//! The consumer runs with `enable.auto.commit=false` and `enable.auto.offset.store=false`: an
//! offset reaches librdkafka's offset store only when JS stores it (a handled message), and is
//! committed only by an explicit commit, or by the commit before a revocation
//! ([`super::rebalance`]). Offsets are "next to read" (the handled message's offset + 1), as in
//! Kafka and kafkajs.

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

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

/// Commits `tpl` (or, when empty, everything stored), synchronously: call off the JS thread.
pub fn commit(c: &BaseConsumer<ConsumerCtx>, tpl: &TopicPartitionList) -> NativeResult<()> {
  let r = if tpl.count() == 0 {
    c.commit_consumer_state(CommitMode::Sync)
  } else {
    c.commit(tpl, CommitMode::Sync)
  };
  match r {
    Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
    Err(e) => Err(e.into()),
  }
}
