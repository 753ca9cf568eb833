//! Flat librdkafka property maps to `rdkafka::ClientConfig`, with secrets kept out of errors.
//!
//! The JS layer does every mapping from its own options; this module only applies a map and
//! makes sure librdkafka's complaints never echo a secret back (librdkafka quotes the refused
//! value in its message, e.g. `Invalid value "..." for configuration property "sasl.password"`).

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};

use crate::error::NativeError;

/// Properties whose values are never shown: passwords, keys, tokens.
pub fn is_secret(key: &str) -> bool {
  key.contains("password")
    || key.contains("secret")
    || key.ends_with(".key.pem")
    || key == "ssl.key.pem"
    || key.contains("private")
    || key.contains("token")
    || key.contains("sasl.oauthbearer.config")
    || key.contains("jaas")
}

/// Replaces every secret value of `props` found in `text` with `[redacted]`.
pub fn redact(text: &str, props: &[(String, String)]) -> String {
  let mut out = text.to_string();
  for (k, v) in props {
    if is_secret(k) && !v.is_empty() {
      out = out.replace(v.as_str(), "[redacted]");
    }
  }
  out
}

/// Builds a client configuration from the base map followed by the overrides (later wins).
pub fn client_config(base: &[(String, String)], overrides: &[(String, String)]) -> Result<ClientConfig, NativeError> {
  let mut cfg = ClientConfig::new();
  for (k, v) in base.iter().chain(overrides.iter()) {
    if k.is_empty() {
      return Err(NativeError::Config("empty configuration property name".into()));
    }
    if k.contains('\0') || v.contains('\0') {
      return Err(NativeError::Config(format!("configuration property \"{k}\" contains a NUL byte")));
    }
    cfg.set(k.as_str(), v.as_str());
  }
  // rust-rdkafka applies its own log level after creating the client: keep it in step with
  // the `log_level` property (syslog numbers) the JS layer chose.
  let level = cfg.get("log_level").and_then(|v| v.parse::<i32>().ok()).unwrap_or(4);
  cfg.set_log_level(match level {
    i32::MIN..=3 => RDKafkaLogLevel::Error,
    4 => RDKafkaLogLevel::Warning,
    5 => RDKafkaLogLevel::Notice,
    6 => RDKafkaLogLevel::Info,
    _ => RDKafkaLogLevel::Debug,
  });
  Ok(cfg)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
  }

  #[test]
  fn secrets_are_recognised_by_name() {
    for k in [
      "sasl.password",
      "ssl.key.pem",
      "ssl.key.password",
      "sasl.oauthbearer.config",
      "sasl.oauthbearer.client.secret",
    ] {
      assert!(is_secret(k), "{k}");
    }
    for k in ["bootstrap.servers", "sasl.username", "ssl.ca.pem", "acks"] {
      assert!(!is_secret(k), "{k}");
    }
  }

  #[test]
  fn a_refusal_never_echoes_a_secret() {
    let p = props(&[("sasl.username", "alice"), ("sasl.password", "hunter2")]);
    let text = "Invalid value \"hunter2\" for configuration property \"sasl.password\" (user alice)";
    assert_eq!(
      redact(text, &p),
      "Invalid value \"[redacted]\" for configuration property \"sasl.password\" (user alice)"
    );
  }

  #[test]
  fn overrides_win_and_bad_names_are_refused() {
    let cfg = client_config(&props(&[("acks", "1")]), &props(&[("acks", "all")])).expect("valid");
    assert_eq!(cfg.get("acks"), Some("all"));
    assert!(matches!(client_config(&props(&[("", "x")]), &[]), Err(NativeError::Config(_))));
    assert!(matches!(client_config(&props(&[("client.id", "a\0b")]), &[]), Err(NativeError::Config(_))));
  }
}
