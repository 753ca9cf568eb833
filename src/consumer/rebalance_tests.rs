//! [`super::GroupState`]'s pauses: what is recorded, and what goes to librdkafka.

use super::GroupState;

fn assigned(list: &[(&str, i32)]) -> GroupState {
  GroupState {
    assigned: list.iter().map(|(t, p)| (t.to_string(), *p)).collect(),
    ..Default::default()
  }
}

fn sorted(mut v: Vec<(String, i32)>) -> Vec<(String, i32)> {
  v.sort();
  v
}

fn tp(t: &str, p: i32) -> (String, i32) {
  (t.to_string(), p)
}

#[test]
fn pausing_a_topic_pauses_its_assigned_partitions_and_later_ones() {
  let mut s = assigned(&[("a", 0), ("a", 1), ("b", 0)]);
  assert_eq!(sorted(s.pause("a", None)), vec![tp("a", 0), tp("a", 1)]);
  assert!(s.is_paused("a", 7), "a partition assigned later is paused too");
  assert!(!s.is_paused("b", 0));
}

#[test]
fn resuming_one_partition_of_a_paused_topic_keeps_the_others_paused() {
  let mut s = assigned(&[("a", 0), ("a", 1), ("a", 2)]);
  s.pause("a", None);
  assert_eq!(s.resume("a", Some(vec![1])), vec![tp("a", 1)]);
  assert!(s.is_paused("a", 0) && s.is_paused("a", 2));
  assert!(!s.is_paused("a", 1));
  assert!(!s.is_paused("a", 3), "the topic as a whole is no longer paused");
}

#[test]
fn only_assigned_partitions_go_to_librdkafka_and_a_whole_resume_clears_the_topic() {
  let mut s = assigned(&[("a", 0)]);
  assert_eq!(s.pause("a", Some(vec![0, 5])), vec![tp("a", 0)]);
  assert!(s.is_paused("a", 5), "an unassigned partition is remembered for its assignment");
  assert_eq!(s.resume("a", Some(vec![5])), Vec::<(String, i32)>::new());
  assert_eq!(s.resume("a", None), vec![tp("a", 0)]);
  assert!(!s.is_paused("a", 0) && s.paused.is_empty() && s.paused_topics.is_empty());
}
