//! Transactions on a transactional producer's client (profile 0 of a producer created with a
//! `transactional.id`; one client only, since two clients with one id would fence each other).
//!
//! Every librdkafka transaction call blocks until the coordinator answers, so each runs on a
//! blocking thread and returns a Promise. Errors keep librdkafka's transaction flags
//! (`retriable`, `abortable`, `fatal`) so the JS layer can say what the caller may do next.
//!
//! # Barriers
//! A send of more than a few messages is handed to librdkafka by the enqueuer, after `send`
//! returned (see [`crate::producer`]). So `sendOffsetsToTransaction` and `commitTransaction`
//! first wait, within their timeout, until every send made before them has been handed over;
//! otherwise its messages could land after the commit, outside the transaction. If the wait
//! times out they fail (retriable, nothing committed). `abortTransaction` does not wait: the
//! sends still in the enqueuer are cancelled (their messages fail with `PURGE_QUEUE`, persisted
//! "no"), so none is enqueued after the abort, into whatever comes next.

use std::ffi::CString;
use std::sync::Arc;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use rdkafka::error::{KafkaError, RDKafkaError};
use rdkafka::producer::Producer;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use crate::error::{code_parts, NativeError};
use crate::producer::{Enqueuer, NativeProducer};

/// An offset to commit with the transaction.
#[napi(object)]
pub struct TransactionOffset {
  /// The consumed topic.
  pub topic: String,
  /// The consumed partition of `topic`.
  pub partition: i32,
  /// The next offset to consume, as a decimal string (int64).
  pub offset: String,
}

fn txn_error(err: KafkaError) -> NativeError {
  match &err {
    KafkaError::Transaction(e) => from_rd_error(e),
    _ => NativeError::from(err),
  }
}

fn from_rd_error(e: &RDKafkaError) -> NativeError {
  let (code, name, _) = code_parts(e.code());
  NativeError::Transaction {
    code,
    name,
    message: e.string(),
    retriable: e.is_retriable(),
    abortable: e.txn_requires_abort(),
    fatal: e.is_fatal(),
  }
}

/// Waits until the enqueuer has handed every send before `mark` to librdkafka, up to
/// `deadline`; fails (retriable) naming `call` if it has not.
async fn handed_over(enqueuer: &Enqueuer, mark: u64, deadline: Instant, call: &str, timeout_ms: u32) -> napi::Result<()> {
  while !enqueuer.handed_over(mark) {
    if Instant::now() >= deadline {
      let (code, name, _) = code_parts(RDKafkaErrorCode::OperationTimedOut);
      return Err(
        NativeError::Transaction {
          code,
          name,
          message: format!(
            "{call}: sends made before it were still being handed to librdkafka after {timeout_ms} ms \
             (local queue full?); nothing was done, the transaction is still open: retry, or abort"
          ),
          retriable: true,
          abortable: false,
          fatal: false,
        }
        .into(),
      );
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
  }
  Ok(())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, NativeError> + Send + 'static) -> napi::Result<T> {
  match tokio::task::spawn_blocking(f).await {
    Ok(r) => r.map_err(Into::into),
    Err(e) => Err(NativeError::State(format!("transaction task failed: {e}")).into()),
  }
}

#[napi]
impl NativeProducer {
  /// Registers the transactional id with its coordinator (fencing older instances).
  #[napi(ts_return_type = "Promise<void>")]
  pub fn init_transactions<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
    let (client, _) = self.client_of(0)?;
    env.spawn_future(blocking(move || {
      client
        .init_transactions(Timeout::After(Duration::from_millis(timeout_ms as u64)))
        .map_err(txn_error)
    }))
  }

  #[napi]
  pub fn begin_transaction(&self) -> napi::Result<()> {
    let (client, _) = self.client_of(0)?;
    client.begin_transaction().map_err(|e| txn_error(e).into())
  }

  /// Adds the consumer group's offsets to the transaction (committed with it, atomically). Like
  /// `commitTransaction`, first waits for every earlier send to be handed to librdkafka.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn send_offsets_to_transaction<'env>(
    &self,
    env: &'env Env,
    group_id: String,
    offsets: Vec<TransactionOffset>,
    timeout_ms: u32,
  ) -> napi::Result<PromiseRaw<'env, ()>> {
    let (client, _) = self.client_of(0)?;
    let group = CString::new(group_id).map_err(|_| NativeError::Input("consumerGroupId contains a NUL byte".into()))?;
    let mut tpl = TopicPartitionList::new();
    for o in &offsets {
      let offset: i64 = o
        .offset
        .parse()
        .map_err(|_| NativeError::Input(format!("invalid offset {:?} for {}[{}]", o.offset, o.topic, o.partition)))?;
      tpl
        .add_partition_offset(&o.topic, o.partition, Offset::Offset(offset))
        .map_err(NativeError::from)?;
    }
    let enqueuer = self.enqueuer().clone();
    let mark = enqueuer.mark();
    let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
    env.spawn_future(async move {
      handed_over(&enqueuer, mark, deadline, "sendOffsetsToTransaction", timeout_ms).await?;
      let left = remaining_ms(deadline);
      blocking(move || send_offsets(&client, &group, &tpl, left)).await
    })
  }

  /// Commits the transaction. First waits (within `timeout_ms`, which the commit shares) until
  /// every send made before this call has been handed to librdkafka, so that it is inside the
  /// transaction; if that wait times out, fails (retriable, `OPERATION_TIMED_OUT`) and commits
  /// nothing.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn commit_transaction<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
    let (client, _) = self.client_of(0)?;
    let enqueuer = self.enqueuer().clone();
    let mark = enqueuer.mark();
    let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
    env.spawn_future(async move {
      handed_over(&enqueuer, mark, deadline, "commitTransaction", timeout_ms).await?;
      let left = Duration::from_millis(remaining_ms(deadline) as u64);
      blocking(move || client.commit_transaction(Timeout::After(left)).map_err(txn_error)).await
    })
  }

  /// Aborts the transaction. Sends made before this call and not yet handed to librdkafka are
  /// cancelled first (their messages fail with `PURGE_QUEUE`, persisted "no").
  #[napi(ts_return_type = "Promise<void>")]
  pub fn abort_transaction<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
    let (client, _) = self.client_of(0)?;
    let enqueuer = self.enqueuer().clone();
    let mark = enqueuer.mark();
    env.spawn_future(blocking(move || {
      enqueuer.cancel(
        mark,
        RDKafkaErrorCode::PurgeQueue,
        "PURGE_QUEUE",
        "the transaction was aborted before this message was handed to librdkafka (not sent)",
      );
      client
        .abort_transaction(Timeout::After(Duration::from_millis(timeout_ms as u64)))
        .map_err(txn_error)
    }))
  }
}

/// Milliseconds left until `deadline` (0 when past it), as librdkafka's C API takes them.
fn remaining_ms(deadline: Instant) -> i32 {
  i32::try_from(deadline.saturating_duration_since(Instant::now()).as_millis()).unwrap_or(i32::MAX)
}

/// `rd_kafka_send_offsets_to_transaction` with group metadata built from the group id.
fn send_offsets(client: &Arc<crate::client::Client>, group: &CString, tpl: &TopicPartitionList, timeout_ms: i32) -> Result<(), NativeError> {
  // rust-rdkafka builds group metadata only from a consumer; a producer that commits a
  // consumer's offsets needs it from the group id, which librdkafka's C API offers.
  unsafe {
    let cgm = rdkafka::bindings::rd_kafka_consumer_group_metadata_new(group.as_ptr());
    if cgm.is_null() {
      return Err(NativeError::State("could not create consumer group metadata".into()));
    }
    let err = rdkafka::bindings::rd_kafka_send_offsets_to_transaction(client.client().native_ptr(), tpl.ptr(), cgm, timeout_ms);
    rdkafka::bindings::rd_kafka_consumer_group_metadata_destroy(cgm);
    if !err.is_null() {
      let b = rdkafka::bindings::rd_kafka_error_code(err);
      let (code, name, _) = code_parts(b.into());
      let message = std::ffi::CStr::from_ptr(rdkafka::bindings::rd_kafka_error_string(err))
        .to_string_lossy()
        .into_owned();
      let e = NativeError::Transaction {
        code,
        name,
        message,
        retriable: rdkafka::bindings::rd_kafka_error_is_retriable(err) != 0,
        abortable: rdkafka::bindings::rd_kafka_error_txn_requires_abort(err) != 0,
        fatal: rdkafka::bindings::rd_kafka_error_is_fatal(err) != 0,
      };
      rdkafka::bindings::rd_kafka_error_destroy(err);
      return Err(e);
    }
  }
  Ok(())
}
