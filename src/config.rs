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
