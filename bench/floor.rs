//! The floor of `npm run bench`: the same rdkafka/librdkafka build as kafka-napi, driven from
//! Rust with no JavaScript, napi or event loop in the way. What kafka-napi cannot beat: every
//! Node.js client is reported as a fraction of it.
//!
//! Usage: `bench-floor '<json plan>'` (bench/run.js writes the plan). The plan carries the
//! librdkafka properties kafka-napi would use by default (computed from lib/config.js by the
//! orchestrator, so both run with the same settings), one override set per `acks`, the topic,
//! the message sizes and the repetition counts. Results go to stdout as one JSON document;
//! progress ticks (`@@tick <label>`) and errors go to stderr.
//!
//! Workloads, per (message size, acks):
//! 1. awaited single-message sends, one at a time: latency p50/p99/max per repetition;
//! 2. single-message sends with `concurrency` in flight: messages/s;
//! 3. sends of `batch` messages with `inflight` batches in flight: messages/s, MB/s;
//!    plus CPU time (user+system of this process, getrusage) per million messages for 2 and 3.
//!
//! Each workload runs a warm-up, then `reps` repetitions (workload 1: a number of sends;
//! 2 and 3: a fixed time, bounded by a message count); the medians are reported.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
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

/// Workloads 2 and 3: a warm-up of `warmup_seconds`, then `reps` repetitions that each send
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
}

#[derive(Deserialize)]
struct Plan {
  brokers: String,
  topic: String,
  props: HashMap<String, String>,
  /// `acks` (as a string: "1", "-1") -> topic-level overrides of that send profile.
  profiles: HashMap<String, HashMap<String, String>>,
  combos: Vec<Combo>,
  w1: Latency,
  w2: Throughput,
  w3: Throughput,
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

struct Bench {
  producer: FutureProducer,
  topic: String,
  payload: Vec<u8>,
  errors: u64,
  first_error: Option<String>,
}

impl Bench {
  /// Enqueues one message; waits for room while librdkafka's queue is full.
  async fn enqueue(&self) -> DeliveryFuture {
    let mut record = FutureRecord::<(), [u8]>::to(&self.topic).payload(&self.payload[..]);
    loop {
      match self.producer.send_result(record) {
        Ok(f) => return f,
        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
          record = r;
          tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Err((e, _)) => panic!("enqueue failed: {e}"),
      }
    }
  }

  async fn settle(&mut self, f: DeliveryFuture) {
    match f.await {
      Ok(Ok(_)) => {}
      Ok(Err((e, _))) => {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| e.to_string());
      }
      Err(_) => {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| "delivery report lost".into());
      }
    }
  }

  /// Workload 1: `n` awaited sends (or as many as fit in `seconds`), one at a time; latencies in ms.
  async fn one_at_a_time(&mut self, n: usize, seconds: f64) -> Vec<f64> {
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    while lat.len() < n && t0.elapsed().as_secs_f64() < seconds {
      let t = Instant::now();
      let f = self.enqueue().await;
      self.settle(f).await;
      lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat
  }

  /// Workload 2: single-message sends, `concurrency` in flight, for `seconds` or `max`
  /// messages. Returns (messages, seconds).
  async fn concurrent(&mut self, seconds: f64, max: usize, concurrency: usize) -> (usize, f64) {
    let t = Instant::now();
    let mut window: VecDeque<DeliveryFuture> = VecDeque::with_capacity(concurrency);
    let mut sent = 0;
    while sent < max && t.elapsed().as_secs_f64() < seconds {
      sent += 1;
      if window.len() >= concurrency {
        let f = window.pop_front().unwrap();
        self.settle(f).await;
      }
      let f = self.enqueue().await;
      window.push_back(f);
    }
    while let Some(f) = window.pop_front() {
      self.settle(f).await;
    }
    (sent, t.elapsed().as_secs_f64())
  }

  /// Workload 3: sends of `batch` messages, `inflight` sends at once, for `seconds` or `max`
  /// messages. Returns (messages, seconds).
  async fn batched(&mut self, seconds: f64, max: usize, batch: usize, inflight: usize) -> (usize, f64) {
    let t = Instant::now();
    let mut window: VecDeque<Vec<DeliveryFuture>> = VecDeque::with_capacity(inflight);
    let mut sent = 0;
    while sent < max && t.elapsed().as_secs_f64() < seconds {
      if window.len() >= inflight {
        for f in window.pop_front().unwrap() {
          self.settle(f).await;
        }
      }
      let k = batch.min(max - sent);
      let mut fs = Vec::with_capacity(k);
      for _ in 0..k {
        fs.push(self.enqueue().await);
      }
      window.push_back(fs);
      sent += k;
    }
    while let Some(fs) = window.pop_front() {
      for f in fs {
        self.settle(f).await;
      }
    }
    (sent, t.elapsed().as_secs_f64())
  }
}

fn producer_for(plan: &Plan, acks: i32) -> FutureProducer {
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
  let producer: FutureProducer = cfg.create().expect("producer creation failed");
  // Connect (metadata for the topic) before anything is timed, as the JS clients' connect() does.
  producer
    .client()
    .fetch_metadata(Some(&plan.topic), Timeout::After(Duration::from_secs(30)))
    .expect("metadata request failed");
  producer
}

async fn run_combo(plan: &Plan, producer: FutureProducer, combo: Combo) -> (FutureProducer, Value) {
  let label = format!("{}B acks={}", combo.size, combo.acks);
  let mut b = Bench {
    producer,
    topic: plan.topic.clone(),
    payload: (0..combo.size).map(|i| (i * 31 % 251) as u8).collect(),
    errors: 0,
    first_error: None,
  };

  // 1. awaited sends, one at a time
  b.one_at_a_time(plan.w1.warmup, plan.w1.warmup_seconds).await;
  tick(&format!("{label} w1 warm-up"));
  let mut w1 = Vec::new();
  for rep in 0..plan.w1.reps {
    let mut lat = b.one_at_a_time(plan.w1.n, plan.w1.seconds).await;
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    w1.push(json!({ "p50": percentile(&lat, 50.0), "p99": percentile(&lat, 99.0), "max": lat[lat.len() - 1], "samples": lat.len() }));
    tick(&format!("{label} w1 rep {}", rep + 1));
  }

  // 2. single sends, many in flight
  let p = &plan.w2;
  let max = p.max_bytes / combo.size.max(1);
  b.concurrent(p.warmup_seconds, max, p.concurrency).await;
  tick(&format!("{label} w2 warm-up"));
  let mut w2 = Vec::new();
  for rep in 0..p.reps {
    let c0 = cpu_seconds();
    let (n, secs) = b.concurrent(p.seconds, max, p.concurrency).await;
    let cpu = cpu_seconds() - c0;
    w2.push(json!({ "msgsPerSec": n as f64 / secs, "messages": n, "seconds": secs, "cpuPerMillion": cpu / n as f64 * 1e6 }));
    tick(&format!("{label} w2 rep {}", rep + 1));
  }

  // 3. batched sends
  let p = &plan.w3;
  let max = p.max_bytes / combo.size.max(1);
  b.batched(p.warmup_seconds, max, p.batch, p.inflight).await;
  tick(&format!("{label} w3 warm-up"));
  let mut w3 = Vec::new();
  for rep in 0..p.reps {
    let c0 = cpu_seconds();
    let (n, secs) = b.batched(p.seconds, max, p.batch, p.inflight).await;
    let cpu = cpu_seconds() - c0;
    w3.push(json!({
      "msgsPerSec": n as f64 / secs,
      "mbPerSec": (n * combo.size) as f64 / secs / 1e6,
      "messages": n,
      "seconds": secs,
      "cpuPerMillion": cpu / n as f64 * 1e6,
    }));
    tick(&format!("{label} w3 rep {}", rep + 1));
  }

  let med = |reps: &[Value], key: &str| median(reps.iter().filter_map(|r| r[key].as_f64()).collect());
  let out = json!({
    "size": combo.size,
    "acks": combo.acks,
    "w1": { "p50": med(&w1, "p50"), "p99": med(&w1, "p99"), "max": med(&w1, "max"), "samples": med(&w1, "samples"), "reps": w1 },
    "w2": { "msgsPerSec": med(&w2, "msgsPerSec"), "cpuPerMillion": med(&w2, "cpuPerMillion"), "reps": w2 },
    "w3": { "msgsPerSec": med(&w3, "msgsPerSec"), "mbPerSec": med(&w3, "mbPerSec"), "cpuPerMillion": med(&w3, "cpuPerMillion"), "reps": w3 },
    "errors": b.errors,
    "firstError": b.first_error,
  });
  (b.producer, out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
  let arg = std::env::args().nth(1).expect("usage: bench-floor '<json plan>'");
  let plan: Plan = serde_json::from_str(&arg).expect("invalid plan JSON");
  let (_, librdkafka) = rdkafka::util::get_rdkafka_version();

  let mut producers: HashMap<i32, FutureProducer> = HashMap::new();
  let mut combos = Vec::new();
  for combo in plan.combos.clone() {
    let producer = match producers.remove(&combo.acks) {
      Some(p) => p,
      None => producer_for(&plan, combo.acks),
    };
    let (producer, out) = run_combo(&plan, producer, combo).await;
    producers.insert(combo.acks, producer);
    combos.push(out);
  }
  for p in producers.values() {
    let _ = p.flush(Timeout::After(Duration::from_secs(30)));
  }
  drop(producers);
  let result = json!({
    "client": "floor",
    "version": format!("rust-rdkafka 0.39 (FutureProducer), librdkafka {librdkafka}"),
    "maxRssKb": rusage().maxrss,
    "combos": combos,
  });
  println!("{result}");
}
