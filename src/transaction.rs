//! Transactions on a transactional producer's client (profile 0 of a producer created with a
//! `transactional.id`; one client only, since two clients with one id would fence each other).
//!
//! Every librdkafka transaction call blocks until the coordinator answers, so each runs on a
//! blocking thread and returns a Promise. Errors keep librdkafka's transaction flags
//! (`retriable`, `abortable`, `fatal`) so the JS layer can say what the caller may do next.

use std::ffi::CString;
use std::time::Duration;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use rdkafka::error::{KafkaError, RDKafkaError};
use rdkafka::producer::Producer;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::util::Timeout;

use crate::error::{code_parts, NativeError};
use crate::producer::NativeProducer;

/// An offset to commit with the transaction.
#[napi(object)]
pub struct TransactionOffset {
  pub topic: String,
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

  /// Adds the consumer group's offsets to the transaction (committed with it, atomically).
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
    env.spawn_future(blocking(move || {
      // rust-rdkafka builds group metadata only from a consumer; a producer that commits a
      // consumer's offsets needs it from the group id, which librdkafka's C API offers.
      unsafe {
        let cgm = rdkafka::bindings::rd_kafka_consumer_group_metadata_new(group.as_ptr());
        if cgm.is_null() {
          return Err(NativeError::State("could not create consumer group metadata".into()));
        }
        let err = rdkafka::bindings::rd_kafka_send_offsets_to_transaction(client.client().native_ptr(), tpl.ptr(), cgm, timeout_ms as i32);
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
    }))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn commit_transaction<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
    let (client, _) = self.client_of(0)?;
    env.spawn_future(blocking(move || {
      client
        .commit_transaction(Timeout::After(Duration::from_millis(timeout_ms as u64)))
        .map_err(txn_error)
    }))
  }

  #[napi(ts_return_type = "Promise<void>")]
  pub fn abort_transaction<'env>(&self, env: &'env Env, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
    let (client, _) = self.client_of(0)?;
    env.spawn_future(blocking(move || {
      client
        .abort_transaction(Timeout::After(Duration::from_millis(timeout_ms as u64)))
        .map_err(txn_error)
    }))
  }
}
