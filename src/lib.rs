#![deny(clippy::all)]
use napi_derive::napi;
#[napi]
pub fn native_version() -> String { rdkafka::util::get_rdkafka_version().1 }
