//! The floor of `npm run bench`: the same rdkafka/librdkafka build as kafka-napi, driven from
//! Rust with no JavaScript, napi or event loop in the way. What kafka-napi cannot beat: every
//! Node.js client is reported as a fraction of it.
//!
//! Usage: `bench-floor '<json plan>'` (bench/run.js writes the plan). The plan carries the
//! librdkafka properties kafka-napi would use by default (computed from lib/config.js by the
//! orchestrator, so both run with the same settings), one override set per `acks`, the topics,
//! the message sizes, the workloads to run and the repetition counts. Results go to stdout as one
//! JSON document; progress ticks (`@@tick <label>`) and errors go to stderr.
//!
//! Workloads, per (message size, acks):
//! 1. awaited single-message sends, one at a time: latency p50/p99/max per repetition;
//! 2. single-message sends with `concurrency` in flight: messages/s;
//! 3. sends of `batch` messages with `inflight` batches in flight: messages/s, MB/s;
//! 4. the same as 3 with keys (`key-<i mod keys>`, librdkafka's murmur2_random partitioner, as
//!    kafka-napi configures it) on each multi-partition topic of the plan;
//!
//! plus CPU time (user+system of this process, getrusage) per million messages for 2, 3 and 4.
//! Each workload runs a warm-up, then `reps` repetitions (workload 1: a number of sends; 2-4: a
//! fixed time, bounded by a message count); the medians are reported. Workloads 1-3 run for every
//! combination first, then the peak RSS so far is recorded, then workload 4.
//!
//! Two methods (`method` in the plan):
//! - `produce_batch` (the floor): a `ThreadedProducer` (librdkafka's delivery reports served by
//!   rust-rdkafka's own poll thread) whose context counts deliveries per in-flight group in
//!   atomics; a "send" of workloads 3 and 4 is one `rd_kafka_produce_batch` call for its whole
//!   group (partition UA, so librdkafka's partitioner places each message; payloads not copied),
//!   workloads 1 and 2 call `rd_kafka_produce` once per message. No allocation, future or
//!   channel per message: the fastest path librdkafka offers a producer.
//! - `future` (the floor of earlier reports, kept for comparison as the `floor-future` client):
//!   rust-rdkafka's `FutureProducer`, one `send_result` and one awaited `DeliveryFuture` per
//!   message.

use std::collections::{HashMap, VecDeque};
use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rdkafka::bindings as rdsys;
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;
use serde::Deserialize;
use serde_json::{json, Value};

/// Workload 1: `warmup` sends (at most `warmup_seconds`), then `reps` repetitions of `n` sends
/// (each at most `seconds`: a client with a slow awaited send gets fewer samples, not hours).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Latency {
  warmup: usize,
  warmup_seconds: f64,
  n: usize,
  seconds: f64,
  reps: usize,
}

/// Workloads 2-4: a warm-up of `warmup_seconds`, then `reps` repetitions that each send
/// for `seconds` (or until `max_bytes` of payload), then wait for what is in flight.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Throughput {
  warmup_seconds: f64,
  seconds: f64,
  max_bytes: usize,
  reps: usize,
  #[serde(default)]
  concurrency: usize,
  #[serde(default)]
  batch: usize,
  #[serde(default)]
  inflight: usize,
  /// Workload 4: the keyed topics, and how many distinct keys cycle.
  #[serde(default)]
  topics: Vec<KeyedTopic>,
  #[serde(default)]
  keys: usize,
}

#[derive(Deserialize)]
struct KeyedTopic {
  partitions: usize,
  topic: String,
}

#[derive(Deserialize)]
struct Plan {
  brokers: String,
  topic: String,
  props: HashMap<String, String>,
  /// `acks` (as a string: "1", "-1") -> topic-level overrides of that send profile.
  profiles: HashMap<String, HashMap<String, String>>,
  combos: Vec<Combo>,
  #[serde(default = "all_workloads")]
  workloads: Vec<String>,
  #[serde(default = "default_method")]
  method: String,
  w1: Latency,
  w2: Throughput,
  w3: Throughput,
  w4: Option<Throughput>,
}

fn all_workloads() -> Vec<String> {
  ["w1", "w2", "w3", "w4"].iter().map(|s| s.to_string()).collect()
}

fn default_method() -> String {
  "produce_batch".into()
}

#[derive(Deserialize, Clone, Copy)]
struct Combo {
  size: usize,
  acks: i32,
}

// getrusage(2) without a libc dependency: x86_64 / aarch64 Linux layout.
#[repr(C)]
#[derive(Default)]
struct Timeval {
  sec: i64,
  usec: i64,
}

#[repr(C)]
#[derive(Default)]
struct Rusage {
  utime: Timeval,
  stime: Timeval,
  maxrss: i64,
  rest: [i64; 13],
}

extern "C" {
  fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

fn rusage() -> Rusage {
  let mut r = Rusage::default();
  // SAFETY: `r` is a valid, writable struct with the kernel's `struct rusage` layout.
  unsafe {
    getrusage(0, &mut r);
  }
  r
}

/// User + system CPU seconds of the whole process (every thread, librdkafka's included).
fn cpu_seconds() -> f64 {
  let r = rusage();
  (r.utime.sec + r.stime.sec) as f64 + (r.utime.usec + r.stime.usec) as f64 / 1e6
}

fn tick(label: &str) {
  eprintln!("@@tick {label}");
}

fn median(mut v: Vec<f64>) -> f64 {
  if v.is_empty() {
    return f64::NAN;
  }
  v.sort_by(|a, b| a.partial_cmp(b).unwrap());
  let m = v.len() / 2;
  if v.len() % 2 == 1 {
    v[m]
  } else {
    (v[m - 1] + v[m]) / 2.0
  }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
  if sorted.is_empty() {
    return f64::NAN;
  }
  let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
  sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The deterministic keys of workload 4: `key-0` .. `key-<n-1>`, cycled message by message.
fn keys_of(n: usize) -> Vec<Vec<u8>> {
  (0..n.max(1)).map(|i| format!("key-{i}").into_bytes()).collect()
}

/// What one producer offers the workloads. `key_at` is the index of the first message's key.
trait Sender {
  fn one_at_a_time(&mut self, topic: &str, payload: &[u8], n: usize, seconds: f64) -> Vec<f64>;
  fn concurrent(&mut self, topic: &str, payload: &[u8], seconds: f64, max: usize, concurrency: usize) -> (usize, f64);
  #[allow(clippy::too_many_arguments)]
  fn batched(&mut self, topic: &str, payload: &[u8], keys: Option<&[Vec<u8>]>, seconds: f64, max: usize, batch: usize, inflight: usize) -> (usize, f64);
  /// Metadata of `topic` before anything is timed (as the JS clients' connect or warm-up does).
  fn prepare(&mut self, topic: &str);
  fn errors(&self) -> (u64, Option<String>);
  fn flush(&self);
}

fn config_for(plan: &Plan, acks: i32) -> ClientConfig {
  let mut cfg = ClientConfig::new();
  for (k, v) in &plan.props {
    cfg.set(k, v);
  }
  cfg.set("bootstrap.servers", &plan.brokers);
  if let Some(overrides) = plan.profiles.get(&acks.to_string()) {
    for (k, v) in overrides {
      cfg.set(k, v);
    }
  }
  cfg.set("request.required.acks", acks.to_string());
  cfg
}

// ---------------------------------------------------------------------------------------------
// The floor: rd_kafka_produce_batch, deliveries counted in atomics

/// Slot 0 counts single-message sends in flight (workloads 1 and 2); slots 1.. count the
/// undelivered messages of each in-flight group of workloads 3 and 4.
const SLOTS: usize = 64;

struct Counters {
  slots: Vec<AtomicUsize>,
  /// Workload 2's window: a delivery that brings slot 0 below it wakes the sender.
  window: AtomicUsize,
  errors: AtomicU64,
  first_error: Mutex<Option<String>>,
  lock: Mutex<()>,
  cv: Condvar,
}

impl Counters {
  fn new() -> Self {
    Counters {
      slots: (0..SLOTS).map(|_| AtomicUsize::new(0)).collect(),
      window: AtomicUsize::new(usize::MAX),
      errors: AtomicU64::new(0),
      first_error: Mutex::new(None),
      lock: Mutex::new(()),
      cv: Condvar::new(),
    }
  }

  fn fail(&self, error: String) {
    self.errors.fetch_add(1, Ordering::Relaxed);
    self.first_error.lock().unwrap().get_or_insert(error);
  }

  /// One message of `slot` is done (delivered or failed).
  fn done(&self, slot: usize) {
    let before = self.slots[slot].fetch_sub(1, Ordering::AcqRel);
    if before == 1 || (slot == 0 && before == self.window.load(Ordering::Relaxed)) {
      // Taking the lock orders this wake-up after a waiter's check (no lost wake-up).
      let _g = self.lock.lock().unwrap();
      self.cv.notify_all();
    }
  }

  fn wait_until(&self, ready: impl Fn(&Counters) -> bool) {
    if ready(self) {
      return;
    }
    let mut g = self.lock.lock().unwrap();
    while !ready(self) {
      g = self.cv.wait(g).unwrap();
    }
  }
}

struct Ctx(Counters);

impl ClientContext for Ctx {}

impl ProducerContext for Ctx {
  type DeliveryOpaque = usize;

  fn delivery(&self, result: &DeliveryResult<'_>, slot: usize) {
    if let Err((e, _)) = result {
      self.0.fail(e.to_string());
    }
    self.0.done(slot);
  }
}

struct Fast {
  producer: ThreadedProducer<Ctx>,
  topics: HashMap<String, *mut rdsys::rd_kafka_topic_t>,
  batch: Vec<rdsys::rd_kafka_message_t>,
}

const PARTITION_UA: i32 = -1;

impl Fast {
  fn new(cfg: &ClientConfig, topic: &str) -> Self {
    let producer: ThreadedProducer<Ctx> = cfg.create_with_context(Ctx(Counters::new())).expect("producer creation failed");
    let mut fast = Fast {
      producer,
      topics: HashMap::new(),
      batch: Vec::new(),
    };
    fast.prepare(topic);
    fast
  }

  fn counters(&self) -> &Counters {
    &self.producer.context().0
  }

  fn topic(&mut self, name: &str) -> *mut rdsys::rd_kafka_topic_t {
    let rk = self.producer.client().native_ptr();
    *self.topics.entry(name.to_string()).or_insert_with(|| {
      let c = CString::new(name).unwrap();
      // SAFETY: rk is this producer's live handle; a NULL conf takes the default topic
      // configuration, which holds the profile's topic-level properties (acks, ...).
      let rkt = unsafe { rdsys::rd_kafka_topic_new(rk, c.as_ptr(), std::ptr::null_mut()) };
      assert!(!rkt.is_null(), "rd_kafka_topic_new failed for {name}");
      rkt
    })
  }

  /// Enqueues one message counted in slot 0; waits for room while librdkafka's queue is full.
  fn produce_one(&mut self, topic: &str, payload: &[u8]) {
    let rkt = self.topic(topic);
    self.counters().slots[0].fetch_add(1, Ordering::AcqRel);
    loop {
      // SAFETY: rkt is live; F_COPY copies the payload before returning; opaque 0 = slot 0.
      let r = unsafe {
        rdsys::rd_kafka_produce(
          rkt,
          PARTITION_UA,
          rdsys::RD_KAFKA_MSG_F_COPY,
          payload.as_ptr() as *mut c_void,
          payload.len(),
          std::ptr::null(),
          0,
          std::ptr::null_mut(),
        )
      };
      if r == 0 {
        return;
      }
      let err = unsafe { rdsys::rd_kafka_last_error() };
      if err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL {
        std::thread::sleep(Duration::from_millis(1));
        continue;
      }
      panic!("enqueue failed: {err:?}");
    }
  }

  /// Enqueues `self.batch` with one rd_kafka_produce_batch call (again for the messages a full
  /// queue refused).
  fn produce_group(&mut self, rkt: *mut rdsys::rd_kafka_topic_t, slot: usize) {
    loop {
      let n = self.batch.len();
      // SAFETY: rkt is live; librdkafka copies the keys, and points at the payload (no F_COPY,
      // as kafka-napi's batched sends): `batched` borrows it for its whole run and returns only
      // once every group it produced has been reported.
      let ok = unsafe { rdsys::rd_kafka_produce_batch(rkt, PARTITION_UA, 0, self.batch.as_mut_ptr(), n as i32) };
      if ok as usize == n {
        return;
      }
      let counters = &self.producer.context().0;
      self.batch.retain_mut(|m| {
        if m.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
          return false;
        }
        if m.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL {
          m.err = rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
          return true;
        }
        counters.fail(format!("enqueue failed: {:?}", m.err));
        counters.done(slot);
        false
      });
      if self.batch.is_empty() {
        return;
      }
      std::thread::sleep(Duration::from_millis(1));
    }
  }
}

impl Sender for Fast {
  fn prepare(&mut self, topic: &str) {
    self
      .producer
      .client()
      .fetch_metadata(Some(topic), Timeout::After(Duration::from_secs(30)))
      .expect("metadata request failed");
    self.topic(topic);
  }

  fn one_at_a_time(&mut self, topic: &str, payload: &[u8], n: usize, seconds: f64) -> Vec<f64> {
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    while lat.len() < n && t0.elapsed().as_secs_f64() < seconds {
      let t = Instant::now();
      self.produce_one(topic, payload);
      self.counters().wait_until(|c| c.slots[0].load(Ordering::Acquire) == 0);
      lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat
  }

  fn concurrent(&mut self, topic: &str, payload: &[u8], seconds: f64, max: usize, concurrency: usize) -> (usize, f64) {
    let t = Instant::now();
    self.counters().window.store(concurrency, Ordering::Relaxed);
    let mut sent = 0;
    while sent < max && t.elapsed().as_secs_f64() < seconds {
      self.counters().wait_until(|c| c.slots[0].load(Ordering::Acquire) < concurrency);
      self.produce_one(topic, payload);
      sent += 1;
    }
    self.counters().wait_until(|c| c.slots[0].load(Ordering::Acquire) == 0);
    self.counters().window.store(usize::MAX, Ordering::Relaxed);
    (sent, t.elapsed().as_secs_f64())
  }

  fn batched(&mut self, topic: &str, payload: &[u8], keys: Option<&[Vec<u8>]>, seconds: f64, max: usize, batch: usize, inflight: usize) -> (usize, f64) {
    assert!(inflight < SLOTS, "at most {} groups in flight", SLOTS - 1);
    let rkt = self.topic(topic);
    let groups = 1..=inflight;
    let free = |c: &Counters| groups.clone().find(|&s| c.slots[s].load(Ordering::Acquire) == 0);
    let t = Instant::now();
    let mut sent = 0;
    while sent < max && t.elapsed().as_secs_f64() < seconds {
      // A new send starts as soon as any of the `inflight` earlier ones is complete.
      self.counters().wait_until(|c| free(c).is_some());
      let slot = free(self.counters()).unwrap();
      let k = batch.min(max - sent);
      self.counters().slots[slot].store(k, Ordering::Release);
      self.batch.clear();
      for j in 0..k {
        let (key, key_len) = match keys {
          Some(ks) => {
            let key = &ks[(sent + j) % ks.len()];
            (key.as_ptr() as *mut c_void, key.len())
          }
          None => (std::ptr::null_mut(), 0),
        };
        self.batch.push(rdsys::rd_kafka_message_t {
          err: rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
          rkt,
          partition: PARTITION_UA,
          payload: payload.as_ptr() as *mut c_void,
          len: payload.len(),
          key,
          key_len,
          offset: 0,
          _private: slot as *mut c_void,
        });
      }
      self.produce_group(rkt, slot);
      sent += k;
    }
    self.counters().wait_until(|c| groups.clone().all(|s| c.slots[s].load(Ordering::Acquire) == 0));
    (sent, t.elapsed().as_secs_f64())
  }

  fn errors(&self) -> (u64, Option<String>) {
    let c = self.counters();
    (c.errors.load(Ordering::Relaxed), c.first_error.lock().unwrap().clone())
  }

  fn flush(&self) {
    let _ = self.producer.flush(Timeout::After(Duration::from_secs(30)));
  }
}

impl Drop for Fast {
  fn drop(&mut self) {
    for (_, rkt) in self.topics.drain() {
      // SAFETY: created by rd_kafka_topic_new on this producer, destroyed once, before it.
      unsafe { rdsys::rd_kafka_topic_destroy(rkt) };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The floor of earlier reports: one FutureProducer future per message

struct Futures {
  producer: FutureProducer,
  rt: tokio::runtime::Runtime,
  errors: u64,
  first_error: Option<String>,
}

impl Futures {
  fn new(cfg: &ClientConfig, topic: &str) -> Self {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let producer: FutureProducer = rt.block_on(async { cfg.create().expect("producer creation failed") });
    let mut f = Futures {
      producer,
      rt,
      errors: 0,
      first_error: None,
    };
    f.prepare(topic);
    f
  }
}

/// Enqueues one message; waits for room while librdkafka's queue is full.
async fn enqueue(producer: &FutureProducer, topic: &str, payload: &[u8], key: Option<&[u8]>) -> DeliveryFuture {
  let mut record = FutureRecord::<[u8], [u8]>::to(topic).payload(payload);
  if let Some(key) = key {
    record = record.key(key);
  }
  loop {
    match producer.send_result(record) {
      Ok(f) => return f,
      Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
        record = r;
        tokio::time::sleep(Duration::from_millis(1)).await;
      }
      Err((e, _)) => panic!("enqueue failed: {e}"),
    }
  }
}

async fn settle(errors: &mut u64, first_error: &mut Option<String>, f: DeliveryFuture) {
  match f.await {
    Ok(Ok(_)) => {}
    Ok(Err((e, _))) => {
      *errors += 1;
      first_error.get_or_insert_with(|| e.to_string());
    }
    Err(_) => {
      *errors += 1;
      first_error.get_or_insert_with(|| "delivery report lost".into());
    }
  }
}

impl Sender for Futures {
  fn prepare(&mut self, topic: &str) {
    self
      .producer
      .client()
      .fetch_metadata(Some(topic), Timeout::After(Duration::from_secs(30)))
      .expect("metadata request failed");
  }

  fn one_at_a_time(&mut self, topic: &str, payload: &[u8], n: usize, seconds: f64) -> Vec<f64> {
    let Futures {
      producer,
      rt,
      errors,
      first_error,
    } = self;
    rt.block_on(async {
      let mut lat = Vec::with_capacity(n);
      let t0 = Instant::now();
      while lat.len() < n && t0.elapsed().as_secs_f64() < seconds {
        let t = Instant::now();
        let f = enqueue(producer, topic, payload, None).await;
        settle(errors, first_error, f).await;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
      }
      lat
    })
  }

  fn concurrent(&mut self, topic: &str, payload: &[u8], seconds: f64, max: usize, concurrency: usize) -> (usize, f64) {
    let Futures {
      producer,
      rt,
      errors,
      first_error,
    } = self;
    rt.block_on(async {
      let t = Instant::now();
      let mut window: VecDeque<DeliveryFuture> = VecDeque::with_capacity(concurrency);
      let mut sent = 0;
      while sent < max && t.elapsed().as_secs_f64() < seconds {
        sent += 1;
        if window.len() >= concurrency {
          let f = window.pop_front().unwrap();
          settle(errors, first_error, f).await;
        }
        window.push_back(enqueue(producer, topic, payload, None).await);
      }
      while let Some(f) = window.pop_front() {
        settle(errors, first_error, f).await;
      }
      (sent, t.elapsed().as_secs_f64())
    })
  }

  fn batched(&mut self, topic: &str, payload: &[u8], keys: Option<&[Vec<u8>]>, seconds: f64, max: usize, batch: usize, inflight: usize) -> (usize, f64) {
    let Futures {
      producer,
      rt,
      errors,
      first_error,
    } = self;
    rt.block_on(async {
      let t = Instant::now();
      let mut window: VecDeque<Vec<DeliveryFuture>> = VecDeque::with_capacity(inflight);
      let mut sent = 0;
      while sent < max && t.elapsed().as_secs_f64() < seconds {
        if window.len() >= inflight {
          for f in window.pop_front().unwrap() {
            settle(errors, first_error, f).await;
          }
        }
        let k = batch.min(max - sent);
        let mut fs = Vec::with_capacity(k);
        for j in 0..k {
          let key = keys.map(|ks| &ks[(sent + j) % ks.len()][..]);
          fs.push(enqueue(producer, topic, payload, key).await);
        }
        window.push_back(fs);
        sent += k;
      }
      while let Some(fs) = window.pop_front() {
        for f in fs {
          settle(errors, first_error, f).await;
        }
      }
      (sent, t.elapsed().as_secs_f64())
    })
  }

  fn errors(&self) -> (u64, Option<String>) {
    (self.errors, self.first_error.clone())
  }

  fn flush(&self) {
    let _ = self.producer.flush(Timeout::After(Duration::from_secs(30)));
  }
}

// ---------------------------------------------------------------------------------------------

fn med(reps: &[Value], key: &str) -> f64 {
  median(reps.iter().filter_map(|r| r[key].as_f64()).collect())
}

fn payload_of(size: usize) -> Vec<u8> {
  (0..size).map(|i| (i * 31 % 251) as u8).collect()
}

/// Workloads 3 and 4 (`keys`: workload 4): warm-up, then the timed repetitions.
fn throughput(s: &mut dyn Sender, topic: &str, combo: Combo, p: &Throughput, keys: Option<&[Vec<u8>]>, label: &str) -> Value {
  let payload = payload_of(combo.size);
  let max = p.max_bytes / combo.size.max(1);
  s.batched(topic, &payload, keys, p.warmup_seconds, max, p.batch, p.inflight);
  tick(&format!("{label} warm-up"));
  let mut reps = Vec::new();
  for rep in 0..p.reps {
    let c0 = cpu_seconds();
    let (n, secs) = s.batched(topic, &payload, keys, p.seconds, max, p.batch, p.inflight);
    let cpu = cpu_seconds() - c0;
    reps.push(json!({
      "msgsPerSec": n as f64 / secs,
      "mbPerSec": (n * combo.size) as f64 / secs / 1e6,
      "messages": n,
      "seconds": secs,
      "cpuPerMillion": cpu / n as f64 * 1e6,
    }));
    tick(&format!("{label} rep {}", rep + 1));
  }
  json!({ "msgsPerSec": med(&reps, "msgsPerSec"), "mbPerSec": med(&reps, "mbPerSec"), "cpuPerMillion": med(&reps, "cpuPerMillion"), "reps": reps })
}

/// Workloads 1-3 of one (size, acks) combination.
fn run_combo(plan: &Plan, s: &mut dyn Sender, combo: Combo) -> serde_json::Map<String, Value> {
  let label = format!("{}B acks={}", combo.size, combo.acks);
  let payload = payload_of(combo.size);
  let on = |w: &str| plan.workloads.iter().any(|x| x == w);
  let mut out = serde_json::Map::new();
  out.insert("size".into(), json!(combo.size));
  out.insert("acks".into(), json!(combo.acks));

  if on("w1") {
    s.one_at_a_time(&plan.topic, &payload, plan.w1.warmup, plan.w1.warmup_seconds);
    tick(&format!("{label} w1 warm-up"));
    let mut w1 = Vec::new();
    for rep in 0..plan.w1.reps {
      let mut lat = s.one_at_a_time(&plan.topic, &payload, plan.w1.n, plan.w1.seconds);
      lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
      w1.push(json!({ "p50": percentile(&lat, 50.0), "p99": percentile(&lat, 99.0), "max": lat[lat.len() - 1], "samples": lat.len() }));
      tick(&format!("{label} w1 rep {}", rep + 1));
    }
    out.insert(
      "w1".into(),
      json!({ "p50": med(&w1, "p50"), "p99": med(&w1, "p99"), "max": med(&w1, "max"), "samples": med(&w1, "samples"), "reps": w1 }),
    );
  }

  if on("w2") {
    let p = &plan.w2;
    let max = p.max_bytes / combo.size.max(1);
    s.concurrent(&plan.topic, &payload, p.warmup_seconds, max, p.concurrency);
    tick(&format!("{label} w2 warm-up"));
    let mut w2 = Vec::new();
    for rep in 0..p.reps {
      let c0 = cpu_seconds();
      let (n, secs) = s.concurrent(&plan.topic, &payload, p.seconds, max, p.concurrency);
      let cpu = cpu_seconds() - c0;
      w2.push(json!({ "msgsPerSec": n as f64 / secs, "messages": n, "seconds": secs, "cpuPerMillion": cpu / n as f64 * 1e6 }));
      tick(&format!("{label} w2 rep {}", rep + 1));
    }
    out.insert(
      "w2".into(),
      json!({ "msgsPerSec": med(&w2, "msgsPerSec"), "cpuPerMillion": med(&w2, "cpuPerMillion"), "reps": w2 }),
    );
  }

  if on("w3") {
    let w3 = throughput(s, &plan.topic, combo, &plan.w3, None, &format!("{label} w3"));
    out.insert("w3".into(), w3);
  }
  out
}

fn main() {
  let arg = std::env::args().nth(1).expect("usage: bench-floor '<json plan>'");
  let plan: Plan = serde_json::from_str(&arg).expect("invalid plan JSON");
  let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
  let future = plan.method == "future";
  let on = |w: &str| plan.workloads.iter().any(|x| x == w);

  let mut senders: HashMap<i32, Box<dyn Sender>> = HashMap::new();
  let mut combos = Vec::new();
  for &combo in &plan.combos {
    let s = senders.entry(combo.acks).or_insert_with(|| {
      let cfg = config_for(&plan, combo.acks);
      if future {
        Box::new(Futures::new(&cfg, &plan.topic)) as Box<dyn Sender>
      } else {
        Box::new(Fast::new(&cfg, &plan.topic))
      }
    });
    combos.push(run_combo(&plan, s.as_mut(), combo));
  }
  let max_rss_w1_w3 = rusage().maxrss;

  // 4. keyed sends on each multi-partition topic, after workloads 1-3 of every combination
  if let (true, Some(p)) = (on("w4"), &plan.w4) {
    let keys = keys_of(p.keys);
    for (i, &combo) in plan.combos.iter().enumerate() {
      let s = senders.get_mut(&combo.acks).unwrap();
      for t in &p.topics {
        s.prepare(&t.topic);
        let label = format!("{}B acks={} w4 {}p", combo.size, combo.acks, t.partitions);
        let w4 = throughput(s.as_mut(), &t.topic, combo, p, Some(&keys), &label);
        combos[i].insert(format!("w4p{}", t.partitions), w4);
      }
    }
  }

  let mut errors = 0;
  let mut first_error = None;
  for s in senders.values() {
    s.flush();
    let (n, e) = s.errors();
    errors += n;
    first_error = first_error.or(e);
  }
  drop(senders);
  let version = if future {
    format!("rust-rdkafka 0.39 (FutureProducer, a future per message), librdkafka {librdkafka}")
  } else {
    format!("rust-rdkafka 0.39 (ThreadedProducer, rd_kafka_produce_batch), librdkafka {librdkafka}")
  };
  let result = json!({
    "client": if future { "floor-future" } else { "floor" },
    "version": version,
    "maxRssKb": rusage().maxrss,
    "maxRssKbW1W3": max_rss_w1_w3,
    "errors": errors,
    "firstError": first_error,
    "combos": combos,
  });
  println!("{result}");
}
