//! The priority of librdkafka's threads.
//!
//! A producer keeps librdkafka's threads busy (its main thread, one per broker), and on a small
//! machine they compete with the JS thread for the same cores. When the cores are saturated the
//! scheduler shares them out evenly, so the event loop waits whole time slices behind threads
//! that only move bytes to the network: at full throughput on 2 cores the event loop's delay p99
//! was 12 to 19 ms, against 5 to 6 ms with those threads at nice 10, for the same messages/s
//! (W3 of the bench, alternated runs). When a core is idle, a nice value changes nothing.
//!
//! On Linux the nice value belongs to each thread, and a new thread starts with its creator's.
//! librdkafka creates its main thread and its first broker threads inside `rd_kafka_new`, and
//! every later broker thread from those. So the client is created on a short-lived thread that
//! first lowers its own priority: every thread of that client inherits it, and no thread of the
//! app (the JS thread, the tokio workers) is touched. Raising a nice value needs no privilege;
//! if the kernel refuses anyway, the client is created at normal priority. Elsewhere than Linux
//! (where nice is per process) the client is created directly.

use crate::error::{NativeError, NativeResult};

/// Runs `create` on a new thread whose nice value is raised by `nice` (0: on this thread,
/// unchanged), and returns what it returns. Threads `create` starts inherit that nice value.
pub fn create_niced<T: Send>(nice: i32, create: impl FnOnce() -> NativeResult<T> + Send) -> NativeResult<T> {
  if nice <= 0 || !cfg!(target_os = "linux") {
    return create();
  }
  std::thread::scope(|s| {
    std::thread::Builder::new()
      .name("kafka-napi-new".into())
      .spawn_scoped(s, || {
        lower_own_priority(nice);
        create()
      })
      .map_err(|e| NativeError::State(format!("could not start a thread to create the client: {e}")))?
      .join()
      .unwrap_or_else(|_| Err(NativeError::State("creating the client failed unexpectedly".into())))
  })
}

/// Lowers this thread's priority by `nice` (capped at 19). Linux only; a refusal is ignored.
#[cfg(target_os = "linux")]
pub fn lower_own_priority(nice: i32) {
  // SAFETY: gettid and setpriority take plain integers and touch only this thread's priority.
  unsafe {
    let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
    let current = libc::getpriority(libc::PRIO_PROCESS, tid);
    libc::setpriority(libc::PRIO_PROCESS, tid, current.saturating_add(nice).min(19));
  }
}

#[cfg(not(target_os = "linux"))]
pub fn lower_own_priority(_nice: i32) {}

#[cfg(test)]
mod tests {
  use super::*;

  #[cfg(target_os = "linux")]
  fn own_nice() -> i32 {
    // SAFETY: as above.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) }
  }

  #[test]
  #[cfg(target_os = "linux")]
  fn threads_started_by_create_inherit_the_nice_value_and_the_caller_keeps_its_own() {
    let before = own_nice();
    let (inside, child) = create_niced(5, || {
      let child = std::thread::spawn(own_nice).join().map_err(|_| NativeError::State("join".into()))?;
      Ok((own_nice(), child))
    })
    .expect("create_niced");
    assert_eq!(inside, (before + 5).min(19));
    assert_eq!(child, inside);
    assert_eq!(own_nice(), before);
  }

  #[test]
  fn zero_runs_on_the_calling_thread_and_errors_pass_through() {
    let caller = std::thread::current().id();
    assert_eq!(create_niced(0, || Ok(std::thread::current().id())).expect("create_niced"), caller);
    let err = create_niced(3, || Err::<(), _>(NativeError::Config("bad".into()))).unwrap_err();
    assert!(matches!(err, NativeError::Config(m) if m == "bad"));
  }
}
