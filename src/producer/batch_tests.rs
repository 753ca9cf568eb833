//! Runs (`rd_kafka_produce_batch`) mixed with single messages (`producev`), against a client
//! whose broker does not exist (super::super::offline): every count is exact.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::super::batch::Payloads;
use super::super::enqueue::{enqueue, Enqueued};
use super::super::offline::{client, outcomes, purge_all};
use super::super::wire::{read_topics, Reader};
use crate::client::Client;
use crate::delivery::{Batch, BatchOutcome, Completions};

/// One message of a test send: topic index, partition (-1: partitioner), timestamp (0: now),
/// with a header or not.
type Spec = (u32, i32, f64, bool);

/// Packs a send to topics "a" and "b" as lib/pack.js does.
fn pack(messages: &[Spec]) -> Vec<u8> {
  let mut b = Vec::new();
  b.extend_from_slice(&2u32.to_le_bytes());
  for t in [b"a", b"b"] {
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(t);
  }
  b.extend_from_slice(&(messages.len() as u32).to_le_bytes());
  for (i, (topic, partition, ts, header)) in messages.iter().enumerate() {
    b.extend_from_slice(&topic.to_le_bytes());
    b.extend_from_slice(&partition.to_le_bytes());
    b.extend_from_slice(&ts.to_le_bytes());
    let key = format!("k{i}");
    b.extend_from_slice(&(key.len() as i32).to_le_bytes());
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(&3i32.to_le_bytes());
    b.extend_from_slice(b"val");
    if *header {
      b.extend_from_slice(&1u32.to_le_bytes());
      b.extend_from_slice(&1u32.to_le_bytes());
      b.extend_from_slice(b"h");
      b.extend_from_slice(&(-1i32).to_le_bytes());
    } else {
      b.extend_from_slice(&0u32.to_le_bytes());
    }
  }
  b
}

/// Enqueues `data` from message `index` on (values copied); returns where it stopped and the new
/// index.
fn run(c: &Client, batch: &Arc<Batch>, data: &[u8], index: u32, pos: Option<usize>) -> (Enqueued, u32) {
  run_with(c, batch, data, index, pos, Payloads::Copied)
}

fn run_with(c: &Client, batch: &Arc<Batch>, data: &[u8], index: u32, pos: Option<usize>, payloads: Payloads) -> (Enqueued, u32) {
  let mut r = Reader::new(data);
  let topics = read_topics(&mut r).expect("topics");
  let count = r.u32().expect("count");
  if let Some(p) = pos {
    r = Reader::at(data, p);
  }
  let mut i = index;
  let out = enqueue(c, batch, &topics, &mut r, &mut i, count, count, payloads);
  (out, i)
}

/// Purges librdkafka's queue and serves the reports; returns each send's outcome.
fn purge(c: &Client, completions: &Completions) -> HashMap<u32, BatchOutcome> {
  purge_all(c);
  outcomes(completions)
}

/// Every index 0..n exactly once among the failures, each purged from librdkafka's queue (so
/// each was handed over once: a message never taken, or taken twice, would show).
fn assert_each_purged_once(outcome: &BatchOutcome, n: u32) {
  let mut seen: Vec<u32> = outcome.failures.iter().map(|f| f.index).collect();
  seen.sort_unstable();
  assert_eq!(seen, (0..n).collect::<Vec<_>>());
  assert!(outcome.failures.iter().all(|f| f.name == "PURGE_QUEUE"), "{:?}", outcome.failures);
}

#[test]
fn runs_and_single_messages_hand_every_message_over_exactly_once() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[]);
  let send: Vec<Spec> = vec![
    (0, -1, 0.0, false),
    (0, -1, 0.0, false),
    (0, -1, 0.0, false),
    (0, -1, 0.0, true), // headers: alone, through producev
    (0, 0, 0.0, false),
    (0, 0, 0.0, false),
    (0, 1, 0.0, false),                  // another explicit partition: a new run
    (0, -1, 1_700_000_000_000.0, false), // a timestamp: alone
    (1, -1, 0.0, false),
    (1, -1, 0.0, false),
    (0, -1, 0.0, false),
  ];
  let data = pack(&send);
  let batch = Batch::new(1, send.len(), completions.clone());
  let (out, index) = run(&c, &batch, &data, 0, None);
  assert!(matches!(out, Enqueued::All));
  assert_eq!(index, send.len() as u32);
  drop(batch);
  assert_each_purged_once(&purge(&c, &completions)[&1], send.len() as u32);
}

#[test]
fn a_full_queue_stops_a_run_at_the_first_message_not_taken_and_it_is_offered_again() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[("queue.buffering.max.messages", "5")]);
  let send: Vec<Spec> = vec![
    (0, -1, 0.0, false),
    (0, -1, 0.0, false),
    (0, -1, 0.0, true),
    (0, -1, 0.0, false),
    (0, -1, 0.0, false),
    (0, -1, 0.0, false), // the 6th: the queue is full here
    (0, -1, 0.0, false),
    (0, -1, 0.0, true),
  ];
  let data = pack(&send);
  let batch = Batch::new(7, send.len(), completions.clone());
  let (out, index) = run(&c, &batch, &data, 0, None);
  let Enqueued::QueueFull(pos) = out else {
    panic!("the queue holds 5 messages: the send cannot be taken whole");
  };
  assert_eq!(index, 5);
  assert!(purge(&c, &completions).is_empty(), "3 messages of the send are still to come");
  let (out, index) = run(&c, &batch, &data, index, Some(pos));
  assert!(matches!(out, Enqueued::All), "room again: the rest is taken");
  assert_eq!(index, 8);
  drop(batch);
  assert_each_purged_once(&purge(&c, &completions)[&7], 8);
}

#[test]
fn retained_values_live_until_librdkafka_gives_every_message_back() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[]);
  let send: Vec<Spec> = vec![(0, -1, 0.0, false), (0, -1, 0.0, true), (0, 0, 0.0, false), (1, -1, 0.0, false)];
  let data: Arc<[u8]> = Arc::from(pack(&send));
  let batch = Batch::new(3, send.len(), completions.clone());
  batch.retain(data.clone());
  let (out, index) = run_with(&c, &batch, &data, 0, None, Payloads::Retained);
  assert!(matches!(out, Enqueued::All));
  assert_eq!(index, send.len() as u32);
  drop(batch);
  // librdkafka holds the messages (no broker): their opaques hold the batch, which holds the bytes.
  assert_eq!(Arc::strong_count(&data), 2, "the batch keeps the bytes its queued messages point into");
  assert_each_purged_once(&purge(&c, &completions)[&3], send.len() as u32);
  assert_eq!(Arc::strong_count(&data), 1, "freed with the last delivery report");
}

/// Serves the client's reports the way the JS thread does (`Client::serve`, crate::reports) until
/// `ids` have all completed or 10 s have passed.
fn serve_until(c: &Client, completions: &Completions, ids: &[u32]) -> HashMap<u32, BatchOutcome> {
  let mut got = HashMap::new();
  let deadline = std::time::Instant::now() + Duration::from_secs(10);
  while ids.iter().any(|id| !got.contains_key(id)) && std::time::Instant::now() < deadline {
    for (id, o) in completions.take(|| c.serve(std::time::Instant::now() + Duration::from_millis(1))) {
      got.insert(id, o.expect("a per-message outcome"));
    }
    std::thread::sleep(Duration::from_millis(2));
  }
  got
}

#[test]
fn delivery_reports_served_by_the_run_give_each_send_its_own_partitions_and_offsets() {
  // librdkafka's mock cluster: real produce requests and offsets, in process.
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[("test.mock.num.brokers", "1"), ("linger.ms", "0")]);
  // Send 1: 150 messages to "a" partition 0, then 50 to "b" partition 1. Send 2: 100 to "a" 0.
  let mut first: Vec<Spec> = vec![(0, 0, 0.0, false); 150];
  first.extend(vec![(1, 1, 0.0, false); 50]);
  let second: Vec<Spec> = vec![(0, 0, 0.0, false); 100];
  let (a, b) = (pack(&first), pack(&second));
  let (sa, sb) = (
    Batch::new(1, first.len(), completions.clone()),
    Batch::new(2, second.len(), completions.clone()),
  );
  assert!(matches!(run(&c, &sa, &a, 0, None), (Enqueued::All, 200)));
  assert!(matches!(run(&c, &sb, &b, 0, None), (Enqueued::All, 100)));
  let out = serve_until(&c, &completions, &[1, 2]);
  let (one, two) = (&out[&1], &out[&2]);
  assert!(one.failures.is_empty() && two.failures.is_empty(), "{:?} {:?}", one.failures, two.failures);
  // Both sends share "a" [0]: the first's base offset is 0, the second's follows its 150.
  assert_eq!(one.partitions.len(), 2);
  assert_eq!(one.partitions[&(0, 0)].base_offset, 0);
  assert_eq!(one.partitions[&(1, 1)].base_offset, 0);
  assert_eq!(two.partitions.len(), 1);
  assert_eq!(two.partitions[&(0, 0)].base_offset, 150);
}
