//! The embedding configuration: what a host page asks for with `data-…` attributes on the
//! script tag (read by `www/embed.js`, handed over as JSON). The attributes of the shell that
//! embed.js draws before the app loads (`data-position`, `data-theme`, `data-primary-color`,
//! `data-launcher-label`) are read there alone.
//!
//! Attributes arrive as strings (`data-group-id="3"`, `data-open="true"`), so every field accepts
//! its natural JSON type or a string; a value that cannot mean anything is ignored with a console
//! warning rather than breaking the widget, because a typo in a host page must not take the chat
//! down.

use serde_json::{Map, Value};
use udesk_protocol::AssignType;

/// Everything a host page can configure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// The relay's base URL, without a trailing slash (`https://chat.example.com`).
    pub relay: String,
    /// `zh-CN` or `en`; `None` follows `navigator.language`.
    pub locale: Option<String>,
    /// Panel title shown until the robot or an agent has a name.
    pub title: Option<String>,
    /// Who the first session asks for: the robot (default) or a person.
    pub assign_type: Option<AssignType>,
    pub group_id: Option<u64>,
    pub agent_id: Option<u64>,
    pub channel: Option<String>,
    /// Open the panel as soon as the widget loads.
    pub open: bool,
}

/// What went wrong while reading the configuration; shown as console warnings.
pub type Warnings = Vec<String>;

impl Config {
    /// Reads the configuration object; `default_relay` is used when none is given.
    pub fn from_json(json: &str, default_relay: &str) -> (Config, Warnings) {
        let mut warnings = Vec::new();
        let map = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) => {
                warnings.push("configuration is not a JSON object; using defaults".to_owned());
                Map::new()
            }
        };
        let mut reader = Reader {
            map: &map,
            warnings: &mut warnings,
        };
        let relay = reader
            .string("relay")
            .unwrap_or_else(|| default_relay.to_owned());
        let config = Config {
            relay: relay.trim_end_matches('/').to_owned(),
            locale: reader.string("locale"),
            title: reader.string("title"),
            assign_type: match reader.string("assign_type").as_deref() {
                Some("agent") => Some(AssignType::Agent),
                Some("robot") => Some(AssignType::Robot),
                None => None,
                Some(other) => {
                    reader.warn(format!("assign_type \"{other}\" is not robot or agent"));
                    None
                }
            },
            group_id: reader.id("group_id"),
            agent_id: reader.id("agent_id"),
            channel: reader.string("channel"),
            open: reader.flag("open"),
        };
        (config, warnings)
    }

    /// What the first session asks for: an agent or group id means a person (the spec's rule).
    pub fn wants(&self) -> AssignType {
        if self.agent_id.is_some() || self.group_id.is_some() {
            AssignType::Agent
        } else {
            self.assign_type.unwrap_or_default()
        }
    }
}

struct Reader<'a> {
    map: &'a Map<String, Value>,
    warnings: &'a mut Warnings,
}

impl Reader<'_> {
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// A non-empty string (numbers are accepted as text).
    fn string(&mut self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => None,
            other => {
                self.warn(format!("{key} should be text, not {other}"));
                None
            }
        }
    }

    fn id(&mut self, key: &str) -> Option<u64> {
        let text = self.string(key)?;
        match text.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                self.warn(format!("{key} \"{text}\" is not a number"));
                None
            }
        }
    }

    /// `true`, `"true"`, `""` (a bare `data-open` attribute), `"1"`, `"yes"` mean on.
    fn flag(&mut self, key: &str) -> bool {
        match self.map.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" | "true" | "1" | "yes" | "open" => true,
                "false" | "0" | "no" => false,
                other => {
                    let other = other.to_owned();
                    self.warn(format!("{key} \"{other}\" is not true or false"));
                    false
                }
            },
            Some(other) => {
                let other = other.to_string();
                self.warn(format!("{key} {other} is not true or false"));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_uses_the_default_relay_and_robot() {
        let (config, warnings) = Config::from_json("{}", "https://relay.example/");
        assert_eq!(config.relay, "https://relay.example");
        assert_eq!(config.wants(), AssignType::Robot);
        assert!(!config.open);
        assert!(warnings.is_empty());
    }

    #[test]
    fn data_attribute_strings_are_read_as_their_types() {
        let json = r##"{"relay": "http://127.0.0.1:9000/", "group_id": "3",
            "open": "", "locale": "en", "title": "Help", "channel": "web"}"##;
        let (config, warnings) = Config::from_json(json, "ignored");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.relay, "http://127.0.0.1:9000");
        assert_eq!(config.group_id, Some(3));
        assert!(config.open, "a bare data-open attribute opens the panel");
        assert_eq!(config.locale.as_deref(), Some("en"));
        assert_eq!(
            config.wants(),
            AssignType::Agent,
            "a group id asks for a person"
        );
    }

    #[test]
    fn nonsense_values_warn_and_fall_back() {
        let json = r#"{"group_id": "three", "open": "maybe", "assign_type": "wizard"}"#;
        let (config, warnings) = Config::from_json(json, "http://r");
        assert_eq!(config.group_id, None);
        assert!(!config.open);
        assert_eq!(config.assign_type, None);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("group_id")));
    }

    #[test]
    fn malformed_json_is_a_warning_not_a_failure() {
        let (config, warnings) = Config::from_json("not json", "http://r");
        assert_eq!(config.relay, "http://r");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn numbers_and_booleans_are_accepted_natively() {
        let (config, warnings) = Config::from_json(
            r#"{"agent_id": 7, "open": true, "assign_type": "agent"}"#,
            "r",
        );
        assert!(warnings.is_empty());
        assert_eq!(config.agent_id, Some(7));
        assert!(config.open);
        assert_eq!(config.assign_type, Some(AssignType::Agent));
    }
}
