//! Group membership: librdkafka's rebalance callback, and the state it shares with the poll thread
//! and with the calls from JS (pause, seek, subscribe).
//!
//! librdkafka runs the rebalance callback inside `poll`, on the poll thread. So the assignment
//! changes are recorded as [`GroupEvent`]s that the same thread writes into the chunk it is
//! building, between the messages fetched before and after: JS sees them in order.
//!
//! - **Revoke**: JS handles a chunk while the next poll runs; a revocation met by that poll first
//!   waits (bounded) until JS has finished the chunk and stored its offsets ([`GroupState::busy`]).
//!   Then, when JS has asked for it (`commit_on_revoke`, kafkajs's `autoCommit`), the offsets JS
//!   has stored (messages it handled) are committed *before* the partitions are given up, so the
//!   next owner starts after them. The wait and the commit together are bounded by `revoke_wait`
//!   (a commit that does not finish in time, the coordinator being down, is left behind: its
//!   messages may be delivered again, never lost). Messages JS still holds for
//!   those partitions are then stale: their offsets can no longer be stored (librdkafka refuses
//!   offsets of unassigned partitions), so they are never committed by this member.
//! - **Assign**: a seek JS asked for before the partition was assigned becomes the partition's
//!   start offset; otherwise the start is fixed right away ([`start_offsets`]): the committed
//!   offset, else the beginning for a topic subscribed `fromBeginning` (kafkajs's rule), else the
//!   end as of now. Partitions of paused topics are paused before any fetch.
//!
//! Works for the eager protocols (range, roundrobin: every partition revoked, then the new set
//! assigned) and for cooperative-sticky (only the moved partitions), like rust-rdkafka's default.

use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;

use super::offsets::commit_bounded;
use crate::error::code_parts;
use crate::events::EventSink;
use crate::producer::lock;

pub type Partitions = Vec<(String, i32)>;

/// What happened to the group, in order, for the next chunk.
pub enum GroupEvent {
  Assign { member_id: String, partitions: Partitions },
  Revoke(Partitions),
  Error { code: i32, name: String, message: String },
}

#[derive(Default)]
pub struct GroupState {
  /// Written through [`GroupState::push_event`] only (it raises `pending.events`).
  pub events: Vec<GroupEvent>,
  /// Topics subscribed with `fromBeginning`.
  pub from_beginning: HashSet<String>,
  /// Topics paused as a whole, and single paused partitions.
  pub paused_topics: HashSet<String>,
  pub paused: HashSet<(String, i32)>,
  /// Seeks asked by JS, applied by the poll thread in order with the fetched messages. Written
  /// through [`GroupState::push_seek`] only (it raises `pending.seeks`).
  pub seeks: Vec<(String, i32, i64)>,
  /// Seeks of partitions not assigned when applied: they take effect at assignment.
  pub parked_seeks: HashMap<(String, i32), i64>,
  pub assigned: HashSet<(String, i32)>,
  /// Commit the stored offsets before partitions are revoked.
  pub commit_on_revoke: bool,
  /// JS is handling a chunk (the next poll runs meanwhile): a revocation waits until it is done
  /// and its offsets are stored, up to `revoke_wait`.
  pub busy: bool,
  pub revoke_wait: Duration,
  /// Closing: nothing waits for JS any more.
  pub closing: bool,
  /// Raised when `events` or `seeks` get an entry, so that the poll thread takes this lock only
  /// when there is something to take (it checks after every message otherwise).
  pub pending: Arc<Pending>,
}

/// Whether [`GroupState::events`] / [`GroupState::seeks`] may hold entries: set (Release) after a
/// push under the state's lock, cleared (swap, Acquire) by the poll thread before it takes them.
#[derive(Default)]
pub struct Pending {
  pub events: AtomicBool,
  pub seeks: AtomicBool,
}

impl Pending {
  /// True when `flag` was raised since the last call (and lowers it).
  pub fn take(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed) && flag.swap(false, Ordering::AcqRel)
  }
}

impl GroupState {
  pub fn push_event(&mut self, e: GroupEvent) {
    self.events.push(e);
    self.pending.events.store(true, Ordering::Release);
  }

  pub fn push_seek(&mut self, topic: String, partition: i32, offset: i64) {
    self.seeks.push((topic, partition, offset));
    self.pending.seeks.store(true, Ordering::Release);
  }

  pub fn is_paused(&self, topic: &str, partition: i32) -> bool {
    self.paused_topics.contains(topic) || self.paused.contains(&(topic.to_string(), partition))
  }

  /// Records a pause of `partitions` of `topic` (every partition, also later assigned ones, when
  /// absent). Returns the assigned partitions now paused, for librdkafka to stop fetching.
  pub fn pause(&mut self, topic: &str, partitions: Option<Vec<i32>>) -> Vec<(String, i32)> {
    match partitions {
      None => {
        self.paused_topics.insert(topic.to_string());
      }
      Some(ps) => self.paused.extend(ps.into_iter().map(|p| (topic.to_string(), p))),
    }
    self.assigned.iter().filter(|(t, p)| self.is_paused(t, *p)).cloned().collect()
  }

  /// Records a resume of `partitions` of `topic` (every partition when absent). Returns the
  /// assigned partitions to resume in librdkafka.
  pub fn resume(&mut self, topic: &str, partitions: Option<Vec<i32>>) -> Vec<(String, i32)> {
    let assigned: Vec<(String, i32)> = self.assigned.iter().filter(|(t, _)| t == topic).cloned().collect();
    match partitions {
      None => {
        self.paused_topics.remove(topic);
        self.paused.retain(|(t, _)| t != topic);
        assigned
      }
      Some(ps) => {
        if self.paused_topics.remove(topic) {
          // The topic was paused as a whole: keep its other assigned partitions paused.
          let keep: Vec<_> = assigned.iter().filter(|(_, p)| !ps.contains(p)).cloned().collect();
          self.paused.extend(keep);
        }
        let list: Vec<_> = ps.into_iter().map(|p| (topic.to_string(), p)).collect();
        for k in &list {
          self.paused.remove(k);
        }
        list.into_iter().filter(|k| self.assigned.contains(k)).collect()
      }
    }
  }

  pub fn error(&mut self, err: &KafkaError) {
    let code = err.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail);
    let (code, name, _) = code_parts(code);
    self.push_event(GroupEvent::Error {
      code,
      name,
      message: err.to_string(),
    });
  }
}

pub fn tpl_of(list: &[(String, i32)]) -> TopicPartitionList {
  let mut tpl = TopicPartitionList::new();
  for (t, p) in list {
    tpl.add_partition(t, *p);
  }
  tpl
}

fn list_of(tpl: &TopicPartitionList) -> Partitions {
  tpl.elements().iter().map(|e| (e.topic().to_string(), e.partition())).collect()
}

/// The context of a consumer: logs and errors to the event sink, rebalances to the group state.
pub struct ConsumerCtx {
  pub sink: Arc<EventSink>,
  pub state: Arc<Mutex<GroupState>>,
  /// Signalled when JS stops being busy (see [`GroupState::busy`]).
  pub idle: Arc<Condvar>,
  /// The queue assigned partitions are forwarded to (see [`super::fetch`]); null until the
  /// consumer exists and once it is being destroyed.
  pub fetch_queue: AtomicPtr<rd::rd_kafka_queue_t>,
}

impl ClientContext for ConsumerCtx {
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

/// The group member id librdkafka was given ("" before the first join).
pub fn member_id(c: &BaseConsumer<ConsumerCtx>) -> String {
  // SAFETY: a live client; the returned string is librdkafka's to free with rd_kafka_mem_free.
  unsafe {
    let rk = c.client().native_ptr();
    let p = rd::rd_kafka_memberid(rk);
    if p.is_null() {
      return String::new();
    }
    let id = CStr::from_ptr(p).to_string_lossy().into_owned();
    rd::rd_kafka_mem_free(rk, p as *mut std::ffi::c_void);
    id
  }
}

/// Fixes the start offset of every partition in `rest` now, as kafkajs does when it joins: the
/// group's committed offset; else the beginning for `fromBeginning` topics; else the current end
/// (so a message produced after the assignment is never skipped by a later "latest" lookup).
fn start_offsets(
  c: &BaseConsumer<ConsumerCtx>,
  tpl: &mut TopicPartitionList,
  rest: &[(String, i32)],
  from_beginning: &HashSet<String>,
) -> Result<(), KafkaError> {
  if rest.is_empty() {
    return Ok(());
  }
  let committed = c.committed_offsets(tpl_of(rest), LOOKUP_TIMEOUT)?;
  let mut latest = TopicPartitionList::new();
  for e in committed.elements() {
    let start = match e.offset() {
      Offset::Offset(o) if o >= 0 => Offset::Offset(o),
      _ if from_beginning.contains(e.topic()) => Offset::Beginning,
      _ => {
        let _ = latest.add_partition_offset(e.topic(), e.partition(), Offset::End);
        continue;
      }
    };
    let _ = tpl.set_partition_offset(e.topic(), e.partition(), start);
  }
  if latest.count() > 0 {
    for e in c.offsets_for_times(latest, LOOKUP_TIMEOUT)?.elements() {
      if let Offset::Offset(o) = e.offset() {
        let _ = tpl.set_partition_offset(e.topic(), e.partition(), Offset::Offset(o));
      }
    }
  }
  Ok(())
}

/// The least time a commit before a revocation is given, even when JS took the whole wait.
const MIN_REVOKE_COMMIT: Duration = Duration::from_secs(1);

/// Bound of the offset lookups made while assigning.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

impl ConsumerCtx {
  fn on_assign(&self, c: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
    let list = list_of(tpl);
    let (parked, from_beginning) = {
      let mut s = lock(&self.state);
      let parked: Vec<_> = list.iter().filter_map(|k| s.parked_seeks.remove(k).map(|o| (k.clone(), o))).collect();
      (parked, s.from_beginning.clone())
    };
    for ((t, p), o) in &parked {
      let _ = tpl.set_partition_offset(t, *p, Offset::from_raw(*o));
    }
    let rest: Partitions = list.iter().filter(|k| !parked.iter().any(|(p, _)| p == *k)).cloned().collect();
    if let Err(e) = start_offsets(c, tpl, &rest, &from_beginning) {
      // librdkafka falls back to the committed offset, else `auto.offset.reset`.
      lock(&self.state).error(&e);
    }
    super::fetch::route(c.client().native_ptr(), &self.fetch_queue, &list);
    let assigned = match c.rebalance_protocol() {
      RebalanceProtocol::Cooperative => c.incremental_assign(tpl),
      _ => c.assign(tpl),
    };
    let mut s = lock(&self.state);
    if let Err(e) = assigned {
      s.error(&e);
    }
    let paused: Partitions = list.iter().filter(|(t, p)| s.is_paused(t, *p)).cloned().collect();
    if !paused.is_empty() {
      if let Err(e) = c.pause(&tpl_of(&paused)) {
        s.error(&e);
      }
    }
    s.assigned.extend(list.iter().cloned());
    s.push_event(GroupEvent::Assign {
      member_id: member_id(c),
      partitions: list,
    });
  }

  fn on_revoke(&self, c: &BaseConsumer<Self>, tpl: &TopicPartitionList) {
    let list = list_of(tpl);
    // The whole revocation (waiting for JS, then committing) takes at most `revoke_wait`: the
    // group waits for this member to rejoin, and nothing else of the group moves meanwhile.
    let (commit, deadline) = {
      // Let JS finish the chunk it is handling, so the commit covers every message it handled.
      let mut s = lock(&self.state);
      let deadline = Instant::now() + s.revoke_wait;
      while s.busy && !s.closing {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
          break;
        }
        s = match self.idle.wait_timeout(s, left) {
          Ok((g, _)) => g,
          Err(poisoned) => poisoned.into_inner().0,
        };
      }
      (s.commit_on_revoke, deadline)
    };
    if commit {
      // Bounded: while the coordinator is down or moving, librdkafka's own synchronous commit
      // can wait for minutes, and the whole group with it (see `offsets::commit`).
      let left = deadline.saturating_duration_since(Instant::now()).max(MIN_REVOKE_COMMIT);
      if let Err(code) = commit_bounded(c, None, left) {
        lock(&self.state).error(&KafkaError::ConsumerCommit(code));
      }
    }
    let unassigned = match c.rebalance_protocol() {
      RebalanceProtocol::Cooperative => c.incremental_unassign(tpl),
      _ => c.unassign(),
    };
    let mut s = lock(&self.state);
    if let Err(e) = unassigned {
      s.error(&e);
    }
    for k in &list {
      s.assigned.remove(k);
    }
    s.push_event(GroupEvent::Revoke(list));
  }
}

impl ConsumerContext for ConsumerCtx {
  fn rebalance(&self, c: &BaseConsumer<Self>, err: RDKafkaRespErr, tpl: &mut TopicPartitionList) {
    match err {
      RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.on_assign(c, tpl),
      RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.on_revoke(c, tpl),
      other => {
        // librdkafka asks the application to drop its assignment on a rebalance error.
        let _ = c.unassign();
        let mut s = lock(&self.state);
        let list: Partitions = s.assigned.drain().collect();
        s.error(&KafkaError::Rebalance(other.into()));
        if !list.is_empty() {
          s.push_event(GroupEvent::Revoke(list));
        }
      }
    }
  }
}

#[cfg(test)]
#[path = "rebalance_tests.rs"]
mod tests;
