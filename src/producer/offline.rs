//! Test support: a real librdkafka producer client whose broker does not exist (port 1), so
//! whatever is handed over stays in librdkafka's queue until purged and every count is exact.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer, PurgeConfig};
use rdkafka::util::Timeout;

use crate::client::Client;
use crate::delivery::{BatchOutcome, Completions, SendOutcome};
use crate::events::{Context, EventSink};

/// A client reporting to `completions`, with `props` set over the defaults (nothing listens on
/// its broker address, and messages never time out during a test).
pub fn client(completions: &Arc<Completions>, props: &[(&str, &str)]) -> Arc<Client> {
  let mut cfg = ClientConfig::new();
  cfg.set("bootstrap.servers", "127.0.0.1:1").set("message.timeout.ms", "600000");
  for (k, v) in props {
    cfg.set(*k, *v);
  }
  let context = Context {
    sink: Arc::new(EventSink::new(Vec::new())),
  };
  let producer: BaseProducer<Context> = cfg.create_with_context(context).expect("client");
  Arc::new(Client::new(producer, completions, false).expect("client"))
}

/// Purges whatever librdkafka holds and serves the reports, so every send handed over completes.
pub fn purge_all(client: &Client) {
  client.purge(PurgeConfig::default().queue().inflight());
  client.flush(Timeout::After(Duration::from_secs(5))).expect("purged reports served");
}

/// Each completed send's outcome, by send id (taken: a second call sees only newer ones).
pub fn outcomes(completions: &Completions) -> HashMap<u32, BatchOutcome> {
  completions
    .take(|| {})
    .into_iter()
    .map(|(id, o): (u32, SendOutcome)| (id, o.expect("a per-message outcome")))
    .collect()
}
