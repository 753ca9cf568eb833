//! Closing a producer: every message of every send ends with a delivery result or a failure, and
//! a failure says whether the broker may have stored it anyway (`persisted`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::producer::{Producer, PurgeConfig};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use super::Enqueuer;
use crate::client::Client;

/// Delivers what it can within `timeout`, fails the rest, and drops `clients` (the last
/// reference destroys each). Blocking: runs off the JS thread. Returns how many messages were
/// not delivered by the deadline (cancelled in the enqueuer, or still in librdkafka's queues).
///
/// 1. Until the deadline, sends still in the enqueue path (large, or waiting for queue room)
///    are handed to librdkafka, and librdkafka delivers what it has (flush).
/// 2. Sends the enqueuer has not handed over by the deadline (those pushed before `mark`) are
///    cancelled: their remaining messages fail with `PURGE_QUEUE` (persisted "no"), and the
///    enqueuer sends nothing more of them.
/// 3. A client with messages left purges its queue (never sent: librdkafka reports them
///    `PURGE_QUEUE`, persisted "no" unless an earlier attempt was sent), gives requests already
///    sent a bounded grace of min(`timeout`, 1 s) to be answered (their messages then succeed
///    or fail with the broker's verdict), purges what is still in flight (`PURGE_INFLIGHT`,
///    persisted "possibly"), and waits up to 1 s more for those reports.
///
/// So when brokers do not answer, closing takes `timeout`, plus up to 2 s for each client that
/// still had messages.
pub fn close_clients(clients: Vec<Arc<Client>>, enqueuer: &Enqueuer, mark: u64, timeout: Duration) -> i32 {
  let deadline = Instant::now() + timeout;
  while !enqueuer.handed_over(mark) && Instant::now() < deadline {
    std::thread::sleep(Duration::from_millis(1));
  }
  let cancelled = enqueuer.cancel(
    mark,
    RDKafkaErrorCode::PurgeQueue,
    "PURGE_QUEUE",
    "the producer was closed before this message was handed to librdkafka (not sent)",
  );
  for c in &clients {
    let _ = c.flush(Timeout::After(deadline.saturating_duration_since(Instant::now())));
  }
  let left: i32 = clients.iter().map(|c| c.in_flight_count()).sum();
  let grace = timeout.min(Duration::from_secs(1));
  for c in clients.iter().filter(|c| c.in_flight_count() > 0) {
    c.purge(PurgeConfig::default().queue());
    let _ = c.flush(Timeout::After(grace));
    if c.in_flight_count() > 0 {
      c.purge(PurgeConfig::default().inflight());
      // Purged messages are reported with _PURGE_INFLIGHT: let the reports arrive.
      let _ = c.flush(Timeout::After(Duration::from_secs(1)));
    }
  }
  // Sends still holding a client keep it alive until their reports are in; the last reference
  // destroys the client here, off the JS thread.
  drop(clients);
  left.saturating_add(i32::try_from(cancelled).unwrap_or(i32::MAX))
}
