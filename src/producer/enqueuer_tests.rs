//! The enqueuer's accounting, chunking, cancellation and thread, against a client whose broker
//! does not exist (super::super::offline): every outcome is exact and no broker is needed.

use super::super::offline::{client, outcomes, purge_all};
use super::*;
use crate::delivery::Completions;
use crate::error::Persisted;

/// A send of `n` messages to topic "t", as `lib/pack.js` packs it: bytes, and where its
/// messages start.
fn packed_send(n: u32) -> (Vec<u8>, usize) {
  let mut b = Vec::new();
  b.extend_from_slice(&1u32.to_le_bytes());
  b.extend_from_slice(&1u32.to_le_bytes());
  b.extend_from_slice(b"t");
  b.extend_from_slice(&n.to_le_bytes());
  let start = b.len();
  for _ in 0..n {
    b.extend_from_slice(&0u32.to_le_bytes()); // topic index
    b.extend_from_slice(&0i32.to_le_bytes()); // partition
    b.extend_from_slice(&0f64.to_le_bytes()); // timestamp: now
    b.extend_from_slice(&(-1i32).to_le_bytes()); // null key
    b.extend_from_slice(&4i32.to_le_bytes());
    b.extend_from_slice(b"abcd");
    b.extend_from_slice(&0u32.to_le_bytes()); // no headers
  }
  (b, start)
}

fn job(client: &Arc<Client>, completions: &Arc<Completions>, id: u32, n: u32, wait: Duration) -> EnqueueJob {
  let (data, pos) = packed_send(n);
  EnqueueJob {
    client: client.clone(),
    batch: Batch::new(id, n as usize, completions.clone()),
    topics: vec!["t".into()],
    data: data.into(),
    pos,
    index: 0,
    count: n,
    deadline: Instant::now() + wait,
  }
}

#[test]
fn queued_jobs_count_their_bytes_until_cancelled_and_cancelled_messages_are_not_persisted() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[]);
  let e = Enqueuer::default();
  assert!(e.handed_over(e.mark()), "nothing pushed: nothing to wait for");
  let (a, b) = (
    job(&c, &completions, 1, 3, Duration::from_secs(60)),
    job(&c, &completions, 2, 5, Duration::from_secs(60)),
  );
  let bytes = a.data.len() + b.data.len();
  e.queue_job(a);
  e.queue_job(b);
  assert_eq!(e.backlog_bytes(), bytes);
  let mark = e.mark();
  assert!(!e.handed_over(mark));
  assert_eq!(e.cancel(mark, RDKafkaErrorCode::PurgeQueue, "PURGE_QUEUE", "closed"), 8);
  assert_eq!(e.backlog_bytes(), 0);
  assert!(e.handed_over(mark));
  assert_eq!(e.step(), Step::Idle, "nothing is left to send");
  let done = outcomes(&completions);
  assert_eq!(done.len(), 2);
  for (id, n) in [(1, 3), (2, 5)] {
    let f = &done[&id].failures;
    assert_eq!(f.len(), n);
    assert!(f.iter().all(|f| f.code == -152 && f.name == "PURGE_QUEUE" && f.persisted == Persisted::No));
  }
}

#[test]
fn cancel_fails_only_what_was_not_handed_over_and_leaves_later_sends_alone() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[]);
  let e = Enqueuer::default();
  e.queue_job(job(&c, &completions, 1, 3000, Duration::from_secs(60)));
  assert_eq!(e.step(), Step::More, "one chunk handed over, more to go");
  let mark = e.mark();
  let later = job(&c, &completions, 2, 2, Duration::from_secs(60));
  let later_bytes = later.data.len();
  e.queue_job(later);
  assert_eq!(e.cancel(mark, RDKafkaErrorCode::PurgeQueue, "PURGE_QUEUE", "aborted"), 3000 - CHUNK);
  assert!(e.handed_over(mark));
  assert!(!e.handed_over(e.mark()), "the later send is still queued");
  assert_eq!(e.backlog_bytes(), later_bytes);
  assert_eq!(e.step(), Step::More);
  assert_eq!(e.step(), Step::Idle);
  assert_eq!((e.backlog_bytes(), e.handed_over(e.mark())), (0, true));
  purge_all(&c);
  let done = outcomes(&completions);
  let first = &done[&1].failures;
  assert_eq!(first.len(), 3000);
  assert_eq!(first.iter().filter(|f| f.message == "aborted").count(), (3000 - CHUNK) as usize);
  // Exactly the first chunk reached librdkafka (nothing after the cancel): purged from its
  // queue, reported by librdkafka itself, never sent.
  let purged: Vec<_> = first.iter().filter(|f| f.message != "aborted").collect();
  assert_eq!(purged.len(), CHUNK as usize);
  assert!(purged.iter().all(|f| f.code == -152 && f.persisted == Persisted::No), "{:?}", purged[0]);
  let later = &done[&2].failures;
  assert!(
    later.len() == 2 && later.iter().all(|f| f.code == -152 && f.persisted == Persisted::No),
    "the later send reached librdkafka"
  );
}

#[test]
fn a_send_waiting_for_queue_room_waits_then_fails_past_its_deadline_or_is_cancelled() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[("queue.buffering.max.messages", "10")]);
  let e = Enqueuer::default();
  e.queue_job(job(&c, &completions, 1, 25, Duration::from_secs(60)));
  assert_eq!(e.step(), Step::Wait, "10 taken, the queue is full");
  assert_eq!(e.step(), Step::Wait);
  let mark = e.mark();
  assert_eq!(e.cancel(mark, RDKafkaErrorCode::PurgeQueue, "PURGE_QUEUE", "closed"), 15);
  assert_eq!(e.step(), Step::Idle);
  purge_all(&c);
  assert_eq!(outcomes(&completions)[&1].failures.len(), 25);

  e.queue_job(job(&c, &completions, 2, 25, Duration::ZERO));
  assert_eq!(e.step(), Step::More, "past maxBlockMs: the rest fails at once");
  assert_eq!((e.step(), e.backlog_bytes()), (Step::Idle, 0));
  purge_all(&c);
  let f = &outcomes(&completions)[&2].failures;
  assert_eq!(f.iter().filter(|f| f.name == "QUEUE_FULL" && f.persisted == Persisted::No).count(), 15);
  assert_eq!(f.len(), 25);
}

#[test]
fn an_unreadable_send_fails_whole_and_frees_its_bytes() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[]);
  let e = Enqueuer::default();
  let mut j = job(&c, &completions, 1, 3, Duration::from_secs(60));
  j.data = Arc::from(&j.data[..j.data.len() - 1]);
  e.queue_job(j);
  assert_eq!(e.step(), Step::More);
  assert_eq!(e.step(), Step::Idle);
  assert_eq!(e.backlog_bytes(), 0);
  purge_all(&c);
  let f = &outcomes(&completions)[&1].failures;
  assert_eq!(f.len(), 3);
  assert_eq!(f.iter().filter(|f| f.name == "INVALID_ARG").count(), 1, "the last message is the truncated one");
}

/// Waits up to 5 s for `cond`.
fn eventually(what: &str, cond: impl Fn() -> bool) {
  let deadline = Instant::now() + Duration::from_secs(5);
  while !cond() {
    assert!(Instant::now() < deadline, "timed out waiting until {what}");
    std::thread::sleep(Duration::from_millis(5));
  }
}

#[test]
fn the_enqueue_thread_stays_while_idle_ends_on_release_and_a_later_push_starts_another() {
  let completions = Arc::new(Completions::default());
  let c = client(&completions, &[]);
  let e = Arc::new(Enqueuer::default());
  let thread = || lock(&e.worker).as_ref().map(|t| t.id());
  e.push(job(&c, &completions, 1, 100, Duration::from_secs(60)));
  eventually("the first send is handed over", || e.handed_over(e.mark()));
  let first = thread().expect("an enqueue thread");
  // Idle well past what used to end it: still there, so a burst of sends does not start a
  // thread each time.
  std::thread::sleep(Duration::from_millis(300));
  assert_eq!(thread(), Some(first));
  e.release();
  eventually("the released thread ends", || thread().is_none());
  e.push(job(&c, &completions, 2, 100, Duration::from_secs(60)));
  eventually("the second send is handed over", || e.handed_over(e.mark()));
  let second = thread().expect("a new enqueue thread after release");
  assert_ne!(second, first);
  std::thread::sleep(Duration::from_millis(50));
  assert_eq!(thread(), Some(second), "not released again: it stays");
  e.release();
  eventually("the second thread ends", || thread().is_none());
  purge_all(&c);
  assert_eq!(outcomes(&completions).len(), 2);
}
