//! The simulator's configuration: credentials, agents and groups, timings, webhook delivery,
//! survey settings and the knowledge base. [`SimConfig::default`] is the documented demo setup.

use crate::faults::Faults;
use crate::kb::KnowledgeBase;
use serde::Deserialize;
use std::time::Duration;
use udesk_protocol::survey::{
    RemarkOption, ShowType, StyledOption, SurveyMethod, SurveyMethodFlag, SurveyOption,
    SurveyOptions, SurveyStyle,
};

/// How the simulator behaves. `Default` is the demo setup documented in the crate docs.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Open API e-mail the simulator accepts in signed requests.
    pub email: String,
    /// Open API token the simulator accepts in signed requests.
    pub token: String,
    /// Where reply notifications are POSTed; `None` records them without sending.
    /// Can be changed while running ([`crate::RunningSim::set_webhook_url`], `POST /admin/webhook`).
    pub webhook_url: Option<String>,
    /// Which body shape webhooks use: today's `messages` list (default) or the seed's `message`.
    pub webhook_shape: WebhookShape,
    /// How long a webhook receiver has to answer HTTP 200 before the push counts as failed
    /// (Udesk: 10 s).
    pub webhook_timeout: Duration,
    /// Retries of failed webhook pushes.
    pub webhook_retry: RetryPolicy,
    /// The URL browsers reach the simulator at, for media and avatar URLs in messages.
    /// `None` means `http://<bound address>`.
    pub public_url: Option<String>,
    /// Agents and their presence.
    pub agents: Vec<AgentConfig>,
    /// Groups: which agents serve which queue.
    pub groups: Vec<GroupConfig>,
    /// The group a plain `assign_type: agent` request queues in; `None` means the first group.
    pub default_group_id: Option<u64>,
    /// How long an agent takes to pick up an assigned customer (分配中 → 会话中). Seconds in the
    /// demo; tests use milliseconds. Zero assigns at once (create-session answers 1000).
    pub pickup_delay: Duration,
    /// How long a scripted agent "types" before its reply is sent.
    pub reply_delay: Duration,
    /// Whether scripted agents answer every customer message (their `demo …` commands work
    /// either way).
    pub auto_reply: bool,
    /// The satisfaction survey offered on sessions, close and invite events.
    pub survey: SurveyOptions,
    /// The robot's knowledge base and its own words.
    pub knowledge_base: KnowledgeBase,
    /// Fault knobs in force from the start (changeable at `POST /admin/faults`).
    pub faults: Faults,
    /// How much of what happened the simulator remembers (every record kind is bounded).
    pub retention: Retention,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            email: "demo@udesk-chat.local".into(),
            token: "udesk-chat-demo-token".into(),
            webhook_url: None,
            webhook_shape: WebhookShape::Messages,
            webhook_timeout: Duration::from_secs(10),
            webhook_retry: RetryPolicy::default(),
            public_url: None,
            agents: vec![
                AgentConfig::new(1, "小明 Xiaoming").scripted(),
                AgentConfig::new(2, "Alice"),
                AgentConfig::new(3, "Bob").offline(),
            ],
            groups: vec![
                GroupConfig::new(1, "在线客服 Customer service", &[1]),
                GroupConfig::new(2, "售后 After-sales", &[2]),
                GroupConfig::new(3, "VIP", &[3]),
            ],
            default_group_id: None,
            pickup_delay: Duration::from_secs(2),
            reply_delay: Duration::from_millis(800),
            auto_reply: true,
            survey: default_survey(ShowType::Star),
            knowledge_base: KnowledgeBase::bundled(),
            faults: Faults::default(),
            retention: Retention::default(),
        }
    }
}

impl SimConfig {
    /// A configuration suited to tests: the demo setup with no pick-up or typing delay.
    pub fn for_tests() -> Self {
        SimConfig {
            pickup_delay: Duration::ZERO,
            reply_delay: Duration::ZERO,
            webhook_retry: RetryPolicy {
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(200),
                max_attempts: 20,
            },
            webhook_timeout: Duration::from_secs(2),
            ..SimConfig::default()
        }
    }

    /// The group plain agent requests queue in.
    pub(crate) fn default_group(&self) -> Option<u64> {
        self.default_group_id
            .or_else(|| self.groups.first().map(|g| g.id))
    }
}

/// The body shape of webhook pushes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WebhookShape {
    /// Today's Udesk: `{"customer_token", "assign_type", "messages": [...]}`, several per push.
    #[default]
    Messages,
    /// The seed spec: `{"customer_token", "assign_type", "message": {...}}`, one per push.
    Message,
}

impl std::str::FromStr for WebhookShape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "messages" => Ok(WebhookShape::Messages),
            "message" => Ok(WebhookShape::Message),
            other => Err(format!(
                "unknown webhook shape {other:?} (messages | message)"
            )),
        }
    }
}

/// How failed webhook pushes are retried: exponential backoff from `initial_backoff`, doubling up
/// to `max_backoff`, at most `max_attempts` tries in all (then the push is given up and the
/// failure recorded; later pushes for the customer go on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_attempts: 16,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempt`-th failed try (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// How much the simulator remembers, so that one left running (or load-tested) stays within
/// bounds. Each kind of record is a buffer of the newest entries; the oldest are forgotten first.
/// Customers themselves and sessions still open are always kept, as Udesk keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    /// The newest records kept of each kind: webhook tries, surveys, robot-answer ratings,
    /// closed agent sessions (a survey for a forgotten session gets 9200), Open API customers
    /// without a token, and the customer message ids that make a resend a no-op.
    pub records: usize,
    /// The newest messages kept in each customer's transcript. A robot answer can be rated while
    /// it is among them.
    pub transcript_messages: usize,
    /// A customer with no agent session open (talking to the robot, or their session closed) who
    /// has sent and been sent nothing for this long loses their transcript.
    pub idle_transcript: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            records: 10_000,
            transcript_messages: 1_000,
            idle_transcript: Duration::from_secs(3600),
        }
    }
}

impl Retention {
    /// How often idle transcripts are looked for: a quarter of the idle time, between 10 ms and
    /// a minute, so a transcript goes at most a quarter late.
    pub(crate) fn sweep_every(&self) -> Duration {
        (self.idle_transcript / 4).clamp(Duration::from_millis(10), Duration::from_secs(60))
    }
}

/// One agent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub nick: Option<String>,
    /// Avatar URL; `None` uses the simulator's generated avatar.
    #[serde(default)]
    pub avatar: Option<String>,
    /// How many customers the agent serves at once (assigning + in session).
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    /// Whether the agent is online at start.
    #[serde(default = "yes")]
    pub online: bool,
    /// Whether the simulator answers as this agent (the scripted demo agent).
    #[serde(default)]
    pub scripted: bool,
}

fn default_capacity() -> u32 {
    3
}

fn yes() -> bool {
    true
}

impl AgentConfig {
    /// An online, human-driven (console) agent with capacity 3.
    pub fn new(id: u64, name: &str) -> Self {
        AgentConfig {
            id,
            name: name.to_owned(),
            nick: None,
            avatar: None,
            capacity: default_capacity(),
            online: true,
            scripted: false,
        }
    }

    pub fn scripted(mut self) -> Self {
        self.scripted = true;
        self
    }

    pub fn offline(mut self) -> Self {
        self.online = false;
        self
    }

    pub fn capacity(mut self, capacity: u32) -> Self {
        self.capacity = capacity;
        self
    }
}

/// A group of agents with its own FIFO queue.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    pub id: u64,
    pub name: String,
    pub agent_ids: Vec<u64>,
}

impl GroupConfig {
    pub fn new(id: u64, name: &str, agent_ids: &[u64]) -> Self {
        GroupConfig {
            id,
            name: name.to_owned(),
            agent_ids: agent_ids.to_vec(),
        }
    }
}

/// Agents and groups from a JSON file (`udesk-sim --agents FILE`):
/// `{"agents": [{"id": 1, "name": "Ann", "capacity": 2, "scripted": true}],
///   "groups": [{"id": 1, "name": "Support", "agent_ids": [1]}], "default_group_id": 1}`.
/// Agent fields other than `id` and `name` default to capacity 3, online, not scripted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    pub agents: Vec<AgentConfig>,
    pub groups: Vec<GroupConfig>,
    #[serde(default)]
    pub default_group_id: Option<u64>,
}

impl Staff {
    pub fn from_path(path: &std::path::Path) -> Result<Staff, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        udesk_protocol::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Puts these agents and groups into `config`.
    pub fn apply(self, config: &mut SimConfig) {
        config.agents = self.agents;
        config.groups = self.groups;
        config.default_group_id = self.default_group_id;
    }
}

impl SimConfig {
    /// Checks that the configuration holds together: unique ids, groups naming known agents, a
    /// default group that exists, at least one webhook try, room for at least one record.
    pub fn validate(&self) -> Result<(), String> {
        let mut agents = std::collections::HashSet::new();
        for agent in &self.agents {
            if !agents.insert(agent.id) {
                return Err(format!("agent id {} appears twice", agent.id));
            }
        }
        let mut groups = std::collections::HashSet::new();
        for group in &self.groups {
            if !groups.insert(group.id) {
                return Err(format!("group id {} appears twice", group.id));
            }
            if let Some(unknown) = group.agent_ids.iter().find(|id| !agents.contains(id)) {
                return Err(format!("group {} names unknown agent {unknown}", group.id));
            }
        }
        if let Some(id) = self.default_group_id.filter(|id| !groups.contains(id)) {
            return Err(format!("default group {id} does not exist"));
        }
        if self.webhook_retry.max_attempts == 0 {
            return Err("webhook_retry.max_attempts must be at least 1".into());
        }
        if self.retention.records == 0 || self.retention.transcript_messages == 0 {
            return Err(
                "retention.records and retention.transcript_messages must be at least 1".into(),
            );
        }
        if self.retention.idle_transcript.is_zero() {
            return Err("retention.idle_transcript must be longer than zero".into());
        }
        Ok(())
    }
}

/// The demo survey, in both shapes at once: the seed's `options` + `methods`, and today's
/// `show_type` with `text`, `expression` and `star` styles. Every style uses the seed's option ids
/// (36–40), so an `option_id` means the same whichever style the customer saw. The two
/// dissatisfied options require a remark.
pub fn default_survey(show_type: ShowType) -> SurveyOptions {
    const TEXTS: [(u64, &str, &str); 5] = [
        (36, "非常满意", "Very satisfied"),
        (37, "满意", "Satisfied"),
        (38, "一般", "Okay"),
        (39, "不满意", "Dissatisfied"),
        (40, "非常不满意", "Very dissatisfied"),
    ];
    let remark = |id: u64| {
        if id >= 39 {
            RemarkOption::Required
        } else {
            RemarkOption::Optional
        }
    };
    let styled = |ids: &[u64], text: &dyn Fn(u64, &str, &str) -> String| SurveyStyle {
        default_option_id: Some(36),
        options: TEXTS
            .iter()
            .filter(|(id, ..)| ids.contains(id))
            .map(|&(id, zh, en)| StyledOption {
                id,
                text: text(id, zh, en),
                desc: Some(en.to_owned()),
                tags: if id >= 39 {
                    vec!["回复慢 Slow".into(), "没解决 Not solved".into()]
                } else {
                    vec!["专业 Professional".into(), "热情 Friendly".into()]
                },
                remark_option: Some(remark(id)),
                enabled: true,
            })
            .collect(),
    };
    let all = [36, 37, 38, 39, 40];
    SurveyOptions {
        enabled: true,
        name: Some("满意度评价".into()),
        title: Some("您对本次服务的评价是? How was our service?".into()),
        desc: Some("感谢您的支持，请您为本次服务做一个评价。".into()),
        remark_enabled: true,
        remark: Some("您可填写评价备注 / Add a remark".into()),
        options: TEXTS
            .iter()
            .map(|&(id, zh, _)| SurveyOption {
                id,
                text: zh.to_owned(),
                enabled: true,
            })
            .collect(),
        methods: vec![
            SurveyMethod {
                id: 7,
                flag: SurveyMethodFlag::AfterSession,
                text: Some("对话结束后弹出".into()),
                enabled: true,
            },
            SurveyMethod {
                id: 74,
                flag: SurveyMethodFlag::AgentInvite,
                text: Some("客服主动邀请".into()),
                enabled: true,
            },
            SurveyMethod {
                id: 1485,
                flag: SurveyMethodFlag::CustomerInvite,
                text: Some("客户主动满意度评价".into()),
                enabled: true,
            },
        ],
        show_type: Some(show_type),
        text: Some(styled(&all, &|_, zh, _| zh.to_owned())),
        expression: Some(styled(&[36, 38, 40], &|id, zh, _| {
            let face = match id {
                36 => "😀",
                38 => "😐",
                _ => "😞",
            };
            format!("{face} {zh}")
        })),
        star: Some(styled(&all, &|id, zh, _| format!("{}星 {zh}", 41 - id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            max_attempts: 10,
        };
        let waits: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn inconsistent_staff_is_refused() {
        assert_eq!(SimConfig::default().validate(), Ok(()));
        let mut config = SimConfig::default();
        config.groups[0].agent_ids.push(42);
        assert!(config.validate().unwrap_err().contains("unknown agent 42"));
        let mut config = SimConfig::default();
        config.agents.push(AgentConfig::new(1, "again"));
        assert!(config.validate().is_err());
        let config = SimConfig {
            default_group_id: Some(9),
            ..SimConfig::default()
        };
        assert!(config.validate().is_err());
        let staff: Staff = udesk_protocol::from_str(
            r#"{"agents": [{"id": 5, "name": "Eve", "scripted": true}],
                "groups": [{"id": 2, "name": "G", "agent_ids": [5]}]}"#,
        )
        .unwrap();
        assert_eq!(staff.agents[0].capacity, 3);
        assert!(staff.agents[0].online && staff.agents[0].scripted);
    }

    #[test]
    fn every_survey_style_offers_seed_option_ids() {
        let survey = default_survey(ShowType::Expression);
        let ids: Vec<u64> = survey.choices().iter().map(|c| c.id).collect();
        assert_eq!(ids, [36, 38, 40]);
        assert!(survey.options.iter().all(|o| (36..=40).contains(&o.id)));
    }
}
