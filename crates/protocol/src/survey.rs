//! The satisfaction survey: its options (from create-session and `close`/`survey` events) and the
//! customer's answer (`POST /im_sessions/survey` in the seed, `/im/sessions/survey` today).
//!
//! The seed describes one list of `options` plus `methods` (when the survey appears). Today's Udesk
//! adds `show_type` (`text`, `expression` (emoji) or `star`) and, under each style's name, its own
//! options with a description, tags and a per-option remark rule. [`SurveyOptions::choices`] gives
//! the options to show, whichever shape arrived.

use crate::lenient;
use serde::{Deserialize, Serialize};

/// How and when the satisfaction survey is shown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyOptions {
    /// Whether surveys are on at all.
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The question shown to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Lead-in text used by WeChat/Weibo channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// Whether the customer may add a remark (seed shape).
    #[serde(default)]
    pub remark_enabled: bool,
    /// Placeholder of the remark box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Seed shape: the options; each `id` is the survey's `option_id`.
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub options: Vec<SurveyOption>,
    /// When the survey appears.
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub methods: Vec<SurveyMethod>,
    /// Today's shape: which style to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_type: Option<ShowType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<SurveyStyle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<SurveyStyle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub star: Option<SurveyStyle>,
}

/// A seed-shape survey option.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyOption {
    pub id: u64,
    pub text: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// When a survey may appear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyMethod {
    #[serde(default)]
    pub id: u64,
    pub flag: SurveyMethodFlag,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

string_enum! {
    /// A survey method's `flag`.
    pub enum SurveyMethodFlag {
        /// Shown when the session ends.
        AfterSession = "after_session",
        /// The agent invites the customer.
        AgentInvite = "agent_invite",
        /// The customer may ask to rate (web and SDK only).
        CustomerInvite = "customer_invite",
    }
}

string_enum! {
    /// Today's survey styles.
    pub enum ShowType {
        Text = "text",
        /// Emoji faces.
        Expression = "expression",
        Star = "star",
    }
}

string_enum! {
    /// Whether a remark is hidden, required or optional for an option.
    pub enum RemarkOption {
        Hide = "hide",
        Required = "required",
        Optional = "optional",
    }
}

/// One style's options (today's shape).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyStyle {
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_option_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub options: Vec<StyledOption>,
}

/// An option of one style (today's shape).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StyledOption {
    pub id: u64,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// Quick remark tags; a list or a comma-separated string on the wire.
    #[serde(
        default,
        deserialize_with = "lenient::tags",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_option: Option<RemarkOption>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// An option ready to show, whichever shape it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyChoice {
    pub id: u64,
    pub text: String,
    pub desc: Option<String>,
    pub tags: Vec<String>,
    pub remark: RemarkOption,
}

impl SurveyOptions {
    /// Whether the survey may appear in the way `flag` names. With no `methods` listed, every way is
    /// allowed (Udesk's default).
    pub fn allows(&self, flag: &SurveyMethodFlag) -> bool {
        self.enabled
            && (self.methods.is_empty()
                || self.methods.iter().any(|m| m.enabled && &m.flag == flag))
    }

    /// The style to render: today's `show_type` when its options are present, else text.
    pub fn style(&self) -> ShowType {
        match &self.show_type {
            Some(t) if self.styled(t).is_some_and(|s| !s.options.is_empty()) => t.clone(),
            _ => ShowType::Text,
        }
    }

    fn styled(&self, show_type: &ShowType) -> Option<&SurveyStyle> {
        match show_type {
            ShowType::Text => self.text.as_ref(),
            ShowType::Expression => self.expression.as_ref(),
            ShowType::Star => self.star.as_ref(),
            ShowType::Other(_) => None,
        }
    }

    /// The enabled options to show, in order.
    pub fn choices(&self) -> Vec<SurveyChoice> {
        let styled = self
            .show_type
            .as_ref()
            .and_then(|t| self.styled(t))
            .filter(|s| !s.options.is_empty());
        match styled {
            Some(style) => style
                .options
                .iter()
                .filter(|o| o.enabled)
                .map(|o| SurveyChoice {
                    id: o.id,
                    text: o.text.clone(),
                    desc: o.desc.clone(),
                    tags: o.tags.clone(),
                    remark: o.remark_option.clone().unwrap_or(RemarkOption::Optional),
                })
                .collect(),
            None => self
                .options
                .iter()
                .filter(|o| o.enabled)
                .map(|o| SurveyChoice {
                    id: o.id,
                    text: o.text.clone(),
                    desc: None,
                    tags: Vec::new(),
                    remark: if self.remark_enabled {
                        RemarkOption::Optional
                    } else {
                        RemarkOption::Hide
                    },
                })
                .collect(),
        }
    }

    /// The option the style pre-selects, if any.
    pub fn default_choice(&self) -> Option<u64> {
        self.show_type
            .as_ref()
            .and_then(|t| self.styled(t))
            .and_then(|s| s.default_option_id)
    }

    /// The shown option with this id.
    pub fn choice(&self, option_id: u64) -> Option<SurveyChoice> {
        self.choices().into_iter().find(|c| c.id == option_id)
    }
}

/// The customer's survey answer.
///
/// The seed lists no `customer_token` here; the relay checks that the session belongs to the
/// visitor before forwarding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyRequest {
    #[serde(deserialize_with = "lenient::id")]
    pub im_sub_session_id: u64,
    #[serde(deserialize_with = "lenient::id")]
    pub option_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}
