//! The ordered enqueue path: [`Enqueuer`], a thread of the producer's own that hands large sends
//! to librdkafka ([`super::enqueue::enqueue`]), and every send made while earlier ones are still
//! being enqueued, in call order.
//!
//! # Priority
//! The enqueue thread runs at the priority of the producer's librdkafka threads (`ioThreadNice`),
//! below the JS thread's, for the same reason they do (see crate::threads): at full throughput it
//! copies about a million messages a second into librdkafka, and on saturated cores the scheduler
//! would otherwise share them evenly between it and the event loop. On napi's tokio runtime, at
//! the process priority, the event loop's delay p99 in W3 at 100 B was 4.5-6.7 ms; on this thread
//! at nice 10, 3.1-4.6 ms, for the same messages/s (4 alternated pairs). It lives, like
//! librdkafka's threads, until the producer closes ([`Enqueuer::release`]); a large send after a
//! reconnect starts another.
//!
//! # Barriers and cancellation
//! Each job pushed to the enqueuer gets a sequence number; [`Enqueuer::mark`] says which jobs
//! were pushed before a point in time. [`Enqueuer::handed_over`] tells when all of them have been
//! handed to librdkafka (or failed): a transaction commit waits for that, so every send made
//! before it is inside the transaction. [`Enqueuer::cancel`] fails what is left of them with a
//! definite not-sent error, and guarantees that none of their messages is sent afterwards: `close`
//! and `abortTransaction` use it, so nothing is enqueued into a client being purged or a
//! transaction being aborted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::types::RDKafkaErrorCode;

use super::batch::Payloads;
use super::enqueue::{enqueue, fail_rest, Enqueued};
use super::lock;
use super::wire::Reader;
use crate::client::Client;
use crate::delivery::Batch;

/// The enqueuer hands at most this many messages to librdkafka per lock of its active job, so a
/// `cancel` waits for no more than one chunk.
const CHUNK: u32 = 1024;

/// What is left to enqueue of one send.
pub struct EnqueueJob {
  pub client: Arc<Client>,
  pub batch: Arc<Batch>,
  pub topics: Vec<String>,
  /// The send's bytes, copied (JS reuses its pack buffer as soon as the call returns); once
  /// queued, also kept by `batch` until its last delivery report ([`Payloads::Retained`]).
  pub data: Arc<[u8]>,
  pub pos: usize,
  pub index: u32,
  pub count: u32,
  /// Past this, a full local queue fails the rest of the send (maxBlockMs).
  pub deadline: Instant,
}

/// A job and its place in call order.
type Numbered = (u64, EnqueueJob);

#[derive(Default)]
struct Queue {
  jobs: VecDeque<Numbered>,
  /// The number the next pushed job gets.
  next: u64,
}

/// The ordered enqueue path: one thread works through the jobs in call order, waiting for room
/// when librdkafka's queue is full.
///
/// Lock order: `active`, then `queue`. `push` (JS thread) takes `queue` briefly, and `worker`
/// only when the thread is idle.
#[derive(Default)]
pub struct Enqueuer {
  /// How much lower than the JS thread's the enqueue thread's priority is (a nice increment).
  nice: i32,
  /// The enqueue thread, while it lives.
  worker: Mutex<Option<std::thread::Thread>>,
  queue: Mutex<Queue>,
  /// The job being enqueued. The enqueue thread holds this lock while it hands a chunk of that job to
  /// librdkafka, and only then (not while it waits for queue room): whoever holds it knows that
  /// no message of the job is being sent.
  active: Mutex<Option<Numbered>>,
  running: AtomicBool,
  /// Set by [`Enqueuer::release`]: the enqueue thread ends once it has no work.
  released: AtomicBool,
  /// Every job numbered below this is finished: handed to librdkafka whole, or failed.
  done: AtomicU64,
  /// Bytes held by the copies of queued and active jobs.
  backlog: AtomicUsize,
}

/// What the enqueue thread should do after a [`Enqueuer::step`].
#[derive(Debug, PartialEq, Eq)]
enum Step {
  /// Nothing queued.
  Idle,
  /// Go on (a chunk or a job was done).
  More,
  /// librdkafka's queue is full: wait a little for room.
  Wait,
}

impl Enqueuer {
  /// An enqueuer whose thread runs `nice` below the creating thread's priority (Linux).
  pub fn new(nice: i32) -> Enqueuer {
    Enqueuer { nice, ..Enqueuer::default() }
  }

  /// True while the enqueue thread has work (then every new send must queue behind it, to keep order).
  pub fn busy(&self) -> bool {
    self.running.load(Ordering::Acquire)
  }

  /// Bytes held by sends waiting in the enqueue path (their copies of the packed messages).
  pub fn backlog_bytes(&self) -> usize {
    self.backlog.load(Ordering::Acquire)
  }

  /// A point in call order: every job pushed before this call is numbered below the mark.
  pub fn mark(&self) -> u64 {
    lock(&self.queue).next
  }

  /// True when every job pushed before `mark` has been handed to librdkafka or failed.
  pub fn handed_over(&self, mark: u64) -> bool {
    self.done.load(Ordering::Acquire) >= mark
  }

  /// The producer is closing (or gone): the enqueue thread, if any, ends as soon as it has no
  /// work. Jobs pushed later still run (on a thread started for them, which ends after them).
  pub fn release(&self) {
    let worker = lock(&self.worker);
    self.released.store(true, Ordering::Release);
    if let Some(thread) = worker.as_ref() {
      thread.unpark();
    }
  }

  pub fn push(self: &Arc<Self>, job: EnqueueJob) {
    self.queue_job(job);
    if !self.running.swap(true, Ordering::AcqRel) {
      self.wake_worker();
    }
  }

  /// Wakes the enqueue thread, or starts one. If no thread can be started, a blocking task of
  /// napi's tokio runtime does the work instead (at the process priority): sends never stall.
  fn wake_worker(self: &Arc<Self>) {
    let mut worker = lock(&self.worker);
    if let Some(thread) = worker.as_ref() {
      thread.unpark();
      return;
    }
    // A new thread serves a reconnected producer until its next close.
    self.released.store(false, Ordering::Release);
    let me = self.clone();
    let started = std::thread::Builder::new().name("kafka-napi-enq".into()).spawn(move || me.run_worker());
    match started {
      Ok(handle) => *worker = Some(handle.thread().clone()),
      Err(_) => {
        let me = self.clone();
        napi::bindgen_prelude::spawn_blocking(move || me.work());
      }
    }
  }

  /// The enqueue thread: works while there are jobs, then waits for a `push` to wake it, and
  /// ends once released with no work left (deciding so while holding `worker`, so a `push`
  /// either wakes it before or starts a new one after).
  fn run_worker(self: Arc<Self>) {
    if self.nice > 0 {
      crate::threads::lower_own_priority(self.nice);
    }
    loop {
      self.work();
      if !self.released.load(Ordering::Acquire) {
        std::thread::park();
      }
      let mut worker = lock(&self.worker);
      if self.running.load(Ordering::Acquire) || !self.released.load(Ordering::Acquire) {
        continue; // work to do, or a spurious wake-up
      }
      *worker = None;
      return;
    }
  }

  /// Queues `job` behind every earlier one (without waking the enqueue thread). Its batch keeps its bytes
  /// from now on: plain messages are handed over pointing into them ([`Payloads::Retained`]).
  fn queue_job(&self, job: EnqueueJob) {
    job.batch.retain(job.data.clone());
    self.backlog.fetch_add(job.data.len(), Ordering::AcqRel);
    let mut q = lock(&self.queue);
    let n = q.next;
    q.next += 1;
    q.jobs.push_back((n, job));
  }

  /// A job is over (every message enqueued or failed): its copy no longer counts as backlog (the
  /// batch frees it after the send's last delivery report).
  fn finished(&self, n: u64, job: EnqueueJob) {
    self.backlog.fetch_sub(job.data.len(), Ordering::AcqRel);
    self.done.fetch_max(n + 1, Ordering::AcqRel);
  }

  /// Works through the jobs until none is left (then `running` is false, unless a `push` has
  /// set it again since: that push wakes the worker).
  fn work(&self) {
    loop {
      match self.step() {
        Step::More => {}
        Step::Wait => std::thread::sleep(Duration::from_millis(1)),
        Step::Idle => {
          self.running.store(false, Ordering::Release);
          // A push may have raced with the store: take the work back if nobody else did.
          if lock(&self.queue).jobs.is_empty() || self.running.swap(true, Ordering::AcqRel) {
            return;
          }
        }
      }
    }
  }

  /// Hands one chunk of the active job (taking the next job if none is active) to librdkafka.
  fn step(&self) -> Step {
    let mut active = lock(&self.active);
    if active.is_none() {
      *active = lock(&self.queue).jobs.pop_front();
    }
    let Some((_, job)) = active.as_mut() else {
      return Step::Idle;
    };
    let end = job.count.min(job.index.saturating_add(CHUNK));
    let mut r = Reader::at(&job.data, job.pos);
    match enqueue(&job.client, &job.batch, &job.topics, &mut r, &mut job.index, end, job.count, Payloads::Retained) {
      Enqueued::All => {
        job.pos = r.pos;
        if job.index < job.count {
          return Step::More;
        }
      }
      Enqueued::QueueFull(pos) => {
        job.pos = pos;
        if Instant::now() < job.deadline {
          return Step::Wait;
        }
        let msg = "local queue full past maxBlockMs (queue.buffering.max.messages / .kbytes)";
        fail_rest(&job.batch, job.index, job.count, RDKafkaErrorCode::QueueFull, "QUEUE_FULL", msg);
      }
    }
    if let Some((n, job)) = active.take() {
      self.finished(n, job);
    }
    Step::More
  }

  /// Fails every message not yet handed to librdkafka of every job pushed before `mark`, with
  /// `code`, `name` and `message` (persisted: no). Waits for the chunk being enqueued, if any (at
  /// most [`CHUNK`] messages): on return, no message of those jobs will ever be sent, and
  /// [`Enqueuer::handed_over`] is true for `mark`. Later jobs are left alone. Returns how many
  /// messages were failed. Blocking (briefly): not for the JS thread.
  pub fn cancel(&self, mark: u64, code: RDKafkaErrorCode, name: &str, message: &str) -> u32 {
    let mut cancelled = Vec::new();
    {
      let mut active = lock(&self.active);
      if active.as_ref().is_some_and(|(n, _)| *n < mark) {
        cancelled.extend(active.take());
      }
      let mut q = lock(&self.queue);
      while q.jobs.front().is_some_and(|(n, _)| *n < mark) {
        cancelled.extend(q.jobs.pop_front());
      }
    }
    let mut failed = 0;
    for (n, job) in cancelled {
      failed += job.count.saturating_sub(job.index);
      fail_rest(&job.batch, job.index, job.count, code, name, message);
      self.finished(n, job);
    }
    failed
  }
}

#[cfg(test)]
#[path = "enqueuer_tests.rs"]
mod tests;
