//! The two wire formats between JS and the core: the packed messages a send hands over
//! (`lib/pack.js` writes them, [`Reader`] reads them) and the completions a drain hands back
//! ([`write_completion`] writes them, `lib/producer.js` reads them).

use std::collections::HashMap;

use rdkafka::message::Headers;

use super::wire::*;
use crate::delivery::{BatchOutcome, PartitionOutcome};
use crate::error::{MessageFailure, NativeError, Persisted};

/// One message in the layout `lib/pack.js` writes.
fn packed(topic: u32, partition: i32, ts: f64, key: Option<&[u8]>, value: Option<&[u8]>, headers: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
  let mut b = Vec::new();
  b.extend_from_slice(&topic.to_le_bytes());
  b.extend_from_slice(&partition.to_le_bytes());
  b.extend_from_slice(&ts.to_le_bytes());
  let bytes = |b: &mut Vec<u8>, v: Option<&[u8]>| match v {
    None => b.extend_from_slice(&(-1i32).to_le_bytes()),
    Some(v) => {
      b.extend_from_slice(&(v.len() as i32).to_le_bytes());
      b.extend_from_slice(v);
    }
  };
  bytes(&mut b, key);
  bytes(&mut b, value);
  b.extend_from_slice(&(headers.len() as u32).to_le_bytes());
  for (name, value) in headers {
    b.extend_from_slice(&(name.len() as u32).to_le_bytes());
    b.extend_from_slice(name.as_bytes());
    bytes(&mut b, *value);
  }
  b
}

#[test]
fn a_packed_message_reads_back_field_by_field() {
  let buf = packed(3, -1, 1_700_000_000_123.0, Some(b"user-1"), None, &[("trace", Some(b"abc")), ("empty", None)]);
  let mut r = Reader::new(&buf);
  let m = read_message(&mut r).expect("well-formed");
  assert_eq!(m.topic, 3);
  assert_eq!(m.partition, -1);
  assert_eq!(m.timestamp, 1_700_000_000_123.0);
  assert_eq!(m.key, Some(&b"user-1"[..]));
  assert_eq!(m.value, None);
  let h = m.headers.expect("two headers");
  assert_eq!(h.count(), 2);
  assert_eq!(h.get(0).key, "trace");
  assert_eq!(h.get(0).value, Some(&b"abc"[..]));
  assert_eq!(h.get(1).key, "empty");
  assert_eq!(h.get(1).value, None);
  assert_eq!(r.pos, buf.len(), "the whole message was consumed");
}

#[test]
fn no_headers_means_none_and_empty_values_stay_empty() {
  let buf = packed(0, 2, 0.0, Some(b""), Some(b""), &[]);
  let m = read_message(&mut Reader::new(&buf)).expect("well-formed");
  assert_eq!(m.key, Some(&b""[..]));
  assert_eq!(m.value, Some(&b""[..]));
  assert!(m.headers.is_none());
}

#[test]
fn every_truncation_is_a_typed_input_error_not_a_panic() {
  let buf = packed(1, 0, 5.0, Some(b"k"), Some(b"value"), &[("h", Some(b"v"))]);
  for cut in 0..buf.len() {
    match read_message(&mut Reader::new(&buf[..cut])) {
      Err(NativeError::Input(msg)) => assert!(msg.contains("truncated"), "cut at {cut}: {msg}"),
      Err(other) => panic!("cut at {cut}: unexpected error {other:?}"),
      Ok(_) => panic!("cut at {cut}: a truncated message was accepted"),
    }
  }
}

#[test]
fn a_length_past_the_end_is_refused() {
  let mut buf = packed(1, 0, 5.0, None, Some(b"v"), &[]);
  // The value's length field says 2^31-1 bytes follow.
  let at = 4 + 4 + 8 + 4;
  buf[at..at + 4].copy_from_slice(&i32::MAX.to_le_bytes());
  assert!(matches!(read_message(&mut Reader::new(&buf)), Err(NativeError::Input(_))));
}

#[test]
fn a_header_name_that_is_not_utf8_is_refused() {
  let mut buf = packed(0, 0, 0.0, None, None, &[("ab", None)]);
  let at = buf.len() - 4 - 2;
  buf[at] = 0xff;
  match read_message(&mut Reader::new(&buf)) {
    Err(NativeError::Input(msg)) => assert!(msg.contains("UTF-8"), "{msg}"),
    other => panic!("expected an input error, got {:?}", other.map(|_| ())),
  }
}

#[test]
fn topic_tables_read_in_order() {
  let mut buf = 2u32.to_le_bytes().to_vec();
  for t in ["orders", "audit"] {
    buf.extend_from_slice(&(t.len() as u32).to_le_bytes());
    buf.extend_from_slice(t.as_bytes());
  }
  assert_eq!(read_topics(&mut Reader::new(&buf)).expect("two topics"), vec!["orders", "audit"]);
  assert!(read_topics(&mut Reader::new(&buf[..buf.len() - 1])).is_err());
}

fn le_u32(b: &[u8], at: usize) -> u32 {
  u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_i64(b: &[u8], at: usize) -> i64 {
  let mut a = [0u8; 8];
  a.copy_from_slice(&b[at..at + 8]);
  i64::from_le_bytes(a)
}

#[test]
fn a_delivered_send_is_written_per_partition_sorted_with_unknown_offsets_as_minus_one() {
  let mut partitions = HashMap::new();
  partitions.insert(
    (1, 0),
    PartitionOutcome {
      base_offset: 7,
      log_append_time: -1,
    },
  );
  partitions.insert(
    (0, 2),
    PartitionOutcome {
      base_offset: -1001,
      log_append_time: 1_700_000_000_000,
    },
  );
  partitions.insert(
    (0, 1),
    PartitionOutcome {
      base_offset: 9_007_199_254_740_993,
      log_append_time: -1,
    },
  );
  let mut out = Vec::new();
  write_completion(&mut out, 42, Ok(BatchOutcome { partitions, failures: vec![] }));
  assert_eq!(out.len(), 4 + 4 + 3 * 24);
  assert_eq!(le_u32(&out, 0), 42);
  assert_eq!(le_u32(&out, 4), 3);
  let entry = |i: usize| {
    let at = 8 + i * 24;
    (le_u32(&out, at), le_u32(&out, at + 4) as i32, le_i64(&out, at + 8), le_i64(&out, at + 16))
  };
  assert_eq!(entry(0), (0, 1, 9_007_199_254_740_993, -1), "int64 offsets above 2^53 pass exactly");
  assert_eq!(
    entry(1),
    (0, 2, -1, 1_700_000_000_000),
    "librdkafka's -1001 (stored, offset unknown) becomes -1"
  );
  assert_eq!(entry(2), (1, 0, 7, -1));
}

#[test]
fn a_refused_send_carries_its_error_payload() {
  let mut out = Vec::new();
  write_completion(&mut out, 5, Err("{\"kind\":\"state\"}".into()));
  assert_eq!(le_u32(&out, 0), 5);
  assert_eq!(le_u32(&out, 4), FAILED);
  assert_eq!(le_u32(&out, 8) as usize, out.len() - 12);
  assert_eq!(&out[12..], b"{\"kind\":\"state\"}");
}

#[test]
fn failed_messages_become_one_delivery_payload_in_message_order() {
  let failure = |index: u32| MessageFailure {
    index,
    topic: 0,
    partition: 0,
    code: 19,
    name: "NOT_ENOUGH_REPLICAS".into(),
    message: "Broker: Not enough in-sync replicas".into(),
    persisted: Persisted::Possibly,
  };
  let mut out = Vec::new();
  write_completion(
    &mut out,
    1,
    Ok(BatchOutcome {
      partitions: HashMap::new(),
      failures: vec![failure(4), failure(1)],
    }),
  );
  assert_eq!(le_u32(&out, 4), FAILED);
  let payload: serde_json::Value = serde_json::from_slice(&out[12..]).expect("JSON payload");
  assert_eq!(payload["kind"], "delivery");
  assert_eq!(payload["code"], 19);
  let indexes: Vec<u64> = payload["failures"]
    .as_array()
    .expect("failures")
    .iter()
    .map(|f| f["index"].as_u64().unwrap())
    .collect();
  assert_eq!(indexes, vec![1, 4]);
}

#[test]
fn any_negative_length_means_null_and_an_unsigned_length_past_the_end_is_truncated() {
  let mut buf = packed(0, 0, 0.0, Some(b"k"), None, &[]);
  // The key's length field says -7: null, like -1 (no bytes follow for it).
  let at = 4 + 4 + 8;
  buf.splice(at..at + 4 + 1, (-7i32).to_le_bytes());
  let m = read_message(&mut Reader::new(&buf)).expect("a negative length reads as null");
  assert_eq!(m.key, None);
  assert_eq!(m.value, None);
  // A header name's length is unsigned: 0xFFFFFFFF is a length past the end, not null.
  let mut buf = packed(0, 0, 0.0, None, None, &[("h", None)]);
  let at = buf.len() - 4 - 1 - 4;
  buf[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
  match read_message(&mut Reader::new(&buf)) {
    Err(NativeError::Input(msg)) => assert!(msg.contains("truncated"), "{msg}"),
    other => panic!("expected a truncation error, got {:?}", other.map(|_| ())),
  }
}

#[test]
fn huge_counts_with_no_bytes_behind_them_fail_without_allocating_them() {
  // 4 billion topics announced, none present.
  assert!(matches!(read_topics(&mut Reader::new(&u32::MAX.to_le_bytes())), Err(NativeError::Input(_))));
  // 4 billion headers announced, none present.
  let mut buf = packed(0, 0, 0.0, None, None, &[]);
  let at = buf.len() - 4;
  buf[at..].copy_from_slice(&u32::MAX.to_le_bytes());
  assert!(matches!(read_message(&mut Reader::new(&buf)), Err(NativeError::Input(_))));
}

#[test]
fn a_topic_index_is_read_as_written_and_left_for_the_caller_to_check() {
  let mut buf = 1u32.to_le_bytes().to_vec();
  buf.extend_from_slice(&1u32.to_le_bytes());
  buf.extend_from_slice(b"t");
  buf.extend_from_slice(&packed(7, 0, 0.0, None, None, &[]));
  let mut r = Reader::new(&buf);
  let topics = read_topics(&mut r).expect("one topic");
  let m = read_message(&mut r).expect("well-formed");
  assert_eq!(m.topic, 7);
  assert!(topics.get(m.topic as usize).is_none(), "out of the table: the enqueue path fails it");
}

#[test]
fn messages_read_back_to_back_and_a_reader_resumes_where_another_stopped() {
  let mut buf = packed(0, 1, 0.0, None, Some(b"a"), &[]);
  let first = buf.len();
  buf.extend_from_slice(&packed(0, 2, 0.0, None, Some(b"bb"), &[]));
  let mut r = Reader::new(&buf);
  assert_eq!(read_message(&mut r).expect("first").partition, 1);
  assert_eq!(r.pos, first);
  let mut resumed = Reader::at(&buf, first);
  let m = read_message(&mut resumed).expect("second");
  assert_eq!((m.partition, m.value), (2, Some(&b"bb"[..])));
  assert_eq!(resumed.pos, buf.len());
}

#[test]
fn a_failed_send_is_id_marker_length_and_exactly_that_many_payload_bytes() {
  let mut out = Vec::new();
  write_completion(&mut out, 9, Ok(BatchOutcome::default()));
  let failure = MessageFailure {
    index: 0,
    topic: 0,
    partition: 2,
    code: 19,
    name: "NOT_ENOUGH_REPLICAS".into(),
    message: "Broker: Not enough in-sync replicas".into(),
    persisted: Persisted::Possibly,
  };
  let ok_len = out.len();
  assert_eq!((ok_len, le_u32(&out, 4)), (8, 0), "a send with no partitions and no failures: id and 0");
  write_completion(
    &mut out,
    10,
    Ok(BatchOutcome {
      partitions: HashMap::new(),
      failures: vec![failure],
    }),
  );
  let rec = &out[ok_len..];
  assert_eq!(le_u32(rec, 0), 10);
  assert_eq!(le_u32(rec, 4), FAILED);
  let len = le_u32(rec, 8) as usize;
  assert_eq!(rec.len(), 12 + len, "nothing after the payload");
  let payload: serde_json::Value = serde_json::from_slice(&rec[12..]).expect("JSON payload");
  assert_eq!(payload["kind"], "delivery");
  assert_eq!(payload["name"], "NOT_ENOUGH_REPLICAS");
  assert_eq!(payload["failures"][0]["partition"], 2);
  assert_eq!(payload["failures"][0]["persisted"], "possibly");
}

#[test]
fn each_failure_says_whether_the_broker_may_have_stored_it() {
  let failure = |index: u32, persisted: Persisted| MessageFailure {
    index,
    topic: 1,
    partition: 0,
    code: -152,
    name: "PURGE_QUEUE".into(),
    message: "Purged in queue".into(),
    persisted,
  };
  let mut out = Vec::new();
  write_completion(
    &mut out,
    3,
    Ok(BatchOutcome {
      partitions: HashMap::new(),
      failures: vec![failure(2, Persisted::Yes), failure(0, Persisted::No), failure(1, Persisted::Possibly)],
    }),
  );
  let payload: serde_json::Value = serde_json::from_slice(&out[12..]).expect("JSON payload");
  // The whole payload, exactly: the failure's fields as before, plus `persisted`.
  assert_eq!(
    payload,
    serde_json::json!({
      "kind": "delivery",
      "code": -152,
      "name": "PURGE_QUEUE",
      "message": "Purged in queue",
      "failures": [
        { "index": 0, "topic": 1, "partition": 0, "code": -152, "name": "PURGE_QUEUE", "message": "Purged in queue", "persisted": "no" },
        { "index": 1, "topic": 1, "partition": 0, "code": -152, "name": "PURGE_QUEUE", "message": "Purged in queue", "persisted": "possibly" },
        { "index": 2, "topic": 1, "partition": 0, "code": -152, "name": "PURGE_QUEUE", "message": "Purged in queue", "persisted": "yes" }
      ]
    })
  );
}
