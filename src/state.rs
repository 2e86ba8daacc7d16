//! The conversation as the visitor sees it: who they talk to, the transcript, and where the event
//! stream left off.
//!
//! A pure state machine: the browser side feeds it what the relay answered ([`Conversation::
//! session_created`], [`Conversation::apply`], [`Conversation::queue_status`], …) and renders the
//! result; nothing here touches the DOM or the network, so every rule is tested on the host.
//! The whole struct is what the widget keeps in `localStorage` (see `saved`), so a reload or a new tab continues
//! the same conversation and resumes the stream from [`Conversation::last_event_id`].

use udesk_protocol::code::Code;
use udesk_protocol::content::EventKind;
use udesk_protocol::relay::{StreamMessage, StreamReset, VisitorResponse};
use udesk_protocol::session::{AssignInfo, CreateSessionResponse};
use udesk_protocol::status::{QueueStatus, QueueStatusResponse};
use udesk_protocol::survey::{SurveyMethodFlag, SurveyOptions};
use udesk_protocol::{AssignType, Content};

use crate::format::{Clock, UDESK_UTC_OFFSET_MINUTES};

/// How many transcript entries are kept (older ones are dropped when saving).
pub const MAX_ENTRIES: usize = 300;

/// Where the conversation stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum Phase {
    /// No session yet: the panel was never opened.
    #[default]
    Idle,
    /// Talking to the robot.
    Robot,
    /// Waiting for a person (queued or being assigned).
    Queued,
    /// Talking to a person.
    Agent,
    /// The agent ended the session; the next message starts a new one.
    Closed,
}

impl Phase {
    /// The name the host page sees in `session` events.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Robot => "robot",
            Phase::Queued => "queued",
            Phase::Agent => "agent",
            Phase::Closed => "closed",
        }
    }
}

/// A name and an avatar to show in the header and next to messages.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct Profile {
    pub name: Option<String>,
    pub avatar: Option<String>,
}

/// The current session.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct Session {
    pub phase: Phase,
    /// The agent session messages go to; `None` addresses the robot.
    pub im_sub_session_id: Option<u64>,
    /// Queue position while [`Phase::Queued`].
    pub queue_count: Option<u32>,
    /// 分配中: an agent is being assigned (no position to show).
    pub assigning: bool,
    pub robot: Option<Profile>,
    pub agent: Option<Profile>,
    /// The survey of the agent session, from create-session or a `close`/`survey` event.
    pub survey_options: Option<SurveyOptions>,
    /// Udesk answered 2002: nobody is online. Shown until dismissed or a person is reached.
    pub no_agent: bool,
}

impl Session {
    /// Whether a "talk to a person" action makes sense now.
    pub fn can_ask_for_person(&self) -> bool {
        matches!(self.phase, Phase::Robot | Phase::Closed | Phase::Idle)
    }

    /// Whether the visitor may ask to rate the agent (the survey's `customer_invite` method).
    pub fn can_invite_survey(&self) -> bool {
        self.phase == Phase::Agent
            && self.im_sub_session_id.is_some()
            && self
                .survey_options
                .as_ref()
                .is_some_and(|s| s.allows(&SurveyMethodFlag::CustomerInvite))
    }
}

/// Who wrote an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum Author {
    Visitor,
    Robot,
    Agent,
    System,
}

/// The delivery state of a message the visitor sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum SendState {
    Pending,
    Sent,
    Failed,
}

/// A line the widget itself writes into the transcript, worded at render time in the current
/// language.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum Notice {
    /// The stream could not replay everything since the last visit.
    HistoryGap,
    /// 2002: nobody is online.
    NoAgent,
    /// The agent session ended; writing again starts a new one.
    ConversationEnded,
    /// The relay no longer knew this visitor; a new one was created.
    NewVisitor,
}

/// Whether a survey card is still waiting for an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum SurveyState {
    Open,
    Submitted { option_id: u64 },
}

/// What an entry shows.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum Body {
    /// A message or event from the robot or an agent.
    Reply {
        message_id: String,
        content: Content,
        /// The visitor's rating of a robot answer, once given.
        #[cfg_attr(test, serde(default))]
        rating: Option<bool>,
    },
    /// A message the visitor sent.
    Outgoing {
        message_id: String,
        content: Content,
        /// Where it goes (`None` = the robot); kept so a retry goes to the same place.
        target: Option<u64>,
        state: SendState,
    },
    Notice {
        notice: Notice,
    },
    /// A satisfaction survey card.
    Survey {
        im_sub_session_id: u64,
        options: SurveyOptions,
        state: SurveyState,
    },
}

/// One line of the transcript.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct Entry {
    /// Unique in the transcript: `r:<message_id>` for replies, `v:<message_id>` for the visitor's
    /// messages, `n:<counter>` for the widget's own lines.
    pub key: String,
    /// Bumped whenever the entry changes, so the view re-renders just this entry.
    pub rev: u32,
    pub author: Author,
    /// The robot's or agent's name and avatar at the time.
    #[cfg_attr(test, serde(default))]
    pub sender: Profile,
    /// When it was written, Unix milliseconds.
    pub at_ms: Option<i64>,
    pub body: Body,
}

impl Entry {
    /// Whether it is a robot's or agent's message or event from the stream, keyed
    /// `r:<message_id>` (a robot's welcome line is the widget's own: its key is its id).
    pub fn is_from_stream(&self) -> bool {
        matches!(&self.body, Body::Reply { message_id, .. }
            if self.key.strip_prefix("r:") == Some(message_id.as_str()))
    }

    /// The message id of a reply or an outgoing message.
    pub fn message_id(&self) -> Option<&str> {
        match &self.body {
            Body::Reply { message_id, .. } | Body::Outgoing { message_id, .. } => Some(message_id),
            _ => None,
        }
    }
}

/// The result of a create-session call, as the view needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionOutcome {
    Robot,
    Agent,
    /// 2001: queued or being assigned; poll the queue status.
    Queued,
    /// 2002: nobody is online.
    NoAgent,
    /// Any other code: the message to show.
    Refused(Code, String),
}

/// What an accepted stream event changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The new entry.
    pub key: String,
    /// Whether it counts as unread (messages and survey invitations, not quiet system lines).
    pub notable: bool,
    /// A survey card was added with this key.
    pub survey_key: Option<String>,
    /// The queue is over (a person took the conversation): stop polling.
    pub assigned: bool,
}

/// A message ready to send to `/v1/messages`.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub message_id: String,
    pub target: Option<u64>,
    pub content: Content,
}

/// What a saved conversation holds besides the entries' contents: the entries as (key,
/// revision) in their order, and everything else of [`Conversation`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outline {
    pub visitor: Option<VisitorResponse>,
    pub session: Session,
    pub order: Vec<(String, u32)>,
    pub last_event_id: u64,
    pub unread: u32,
    pub next_local: u64,
    pub saved_at: i64,
}

/// What a [`Conversation::merge`] changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// Anything at all (the saved time aside).
    pub changed: bool,
    /// The stream's messages this tab learns from the other tab's save instead of its own
    /// stream, in order, with whether each is notable as [`Conversation::apply`] would have said
    /// (a message, or an event that brought a survey card, placed right below it): to announce
    /// them and tell the host page.
    pub news: Vec<(Entry, bool)>,
}

/// Where `key` is in `items` (keyed by `key_of`), looking at `hint` first: lists of entries are
/// compared with others in nearly the same order, so the next key is most often where the last
/// one left off, and a walk of two such lists costs one pass. (No `HashMap`: its hashing and
/// table code cost the wasm about 10 KB for lists of a few hundred keys.)
pub fn find_near<T>(
    items: &[T],
    key: &str,
    hint: usize,
    key_of: impl Fn(&T) -> &str,
) -> Option<usize> {
    if items.get(hint).is_some_and(|item| key_of(item) == key) {
        return Some(hint);
    }
    items.iter().position(|item| key_of(item) == key)
}

/// The whole conversation.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct Conversation {
    pub visitor: Option<VisitorResponse>,
    pub session: Session,
    pub entries: Vec<Entry>,
    /// The last stream event applied; the stream resumes after it.
    pub last_event_id: u64,
    /// Notable entries received while the panel was closed.
    pub unread: u32,
    /// Counter for the keys of the widget's own lines.
    pub(crate) next_local: u64,
    /// When a tab last changed the conversation itself, Unix milliseconds (a tab that merges
    /// another's save keeps its time): between tabs, the later one has the newer session.
    #[cfg_attr(test, serde(default))]
    pub saved_at: i64,
}

impl Conversation {
    /// After a reload: a send that was still pending when the page went away is shown as failed,
    /// with retry (the same message id, so Udesk will not get it twice).
    pub fn after_reload(&mut self) {
        for entry in &mut self.entries {
            if let Body::Outgoing { state, .. } = &mut entry.body {
                if *state == SendState::Pending {
                    *state = SendState::Failed;
                    entry.rev += 1;
                }
            }
        }
    }

    /// The conversation without its entries' contents: what a save holds besides the entries
    /// (see [`Outline`]), for the newest `window` entries.
    pub fn outline(&self, window: usize) -> Outline {
        let skip = self.entries.len().saturating_sub(window);
        Outline {
            visitor: self.visitor.clone(),
            session: self.session.clone(),
            order: self.entries[skip..]
                .iter()
                .map(|e| (e.key.clone(), e.rev))
                .collect(),
            last_event_id: self.last_event_id,
            unread: self.unread,
            next_local: self.next_local,
            saved_at: self.saved_at,
        }
    }

    /// Takes in what another tab of the same site saved, so that two open tabs show one
    /// conversation: entries this tab lacks are added where the other tab has them, an entry
    /// changed there (a send that went out, a rating) takes the newer revision, and the visitor,
    /// session and unread count follow whichever tab saved last. The stream resumes after the
    /// later event of the two, unless the newer save is another customer's (`identify()` in that
    /// tab): its events are numbered anew.
    ///
    /// Only what is new is read: `entry_of` gives the other tab's entry of a key, and is called
    /// only for the keys this tab lacks or has at a lower revision (an entry it cannot give is
    /// left out, as if it were not saved yet). Costs one pass over the keys, plus the new entries.
    pub fn merge(
        &mut self,
        other: Outline,
        mut entry_of: impl FnMut(&str) -> Option<Entry>,
    ) -> Merged {
        let customer = |v: &Option<VisitorResponse>| v.as_ref().map(|v| v.customer_token.clone());
        let same_customer = customer(&self.visitor) == customer(&other.visitor)
            || self.visitor.is_none()
            || other.visitor.is_none();
        let mut merged = Merged::default();
        let mut anchor: Option<usize> = None;
        // The newest stream entry added, while the entry right after it is not yet known: a
        // survey card added right below an event makes the event notable.
        let mut last_new_stream: Option<usize> = None;
        for (key, rev) in other.order {
            let after_new_stream = last_new_stream.take();
            let hint = anchor.map_or(0, |a| a + 1);
            match find_near(&self.entries, &key, hint, |e| &e.key) {
                Some(i) => {
                    if rev > self.entries[i].rev {
                        if let Some(theirs) = entry_of(&key).filter(|e| e.rev > self.entries[i].rev)
                        {
                            self.entries[i] = theirs;
                            merged.changed = true;
                        }
                    }
                    anchor = Some(i);
                }
                None => {
                    let Some(theirs) = entry_of(&key).filter(|e| e.key == key) else {
                        continue;
                    };
                    let at = anchor.map_or(0, |a| a + 1);
                    let survey = matches!(theirs.body, Body::Survey { .. });
                    if theirs.is_from_stream() {
                        let message = matches!(&theirs.body, Body::Reply { content, .. } if !content.is_event());
                        merged.news.push((theirs.clone(), message));
                        last_new_stream = Some(merged.news.len() - 1);
                    } else if let (true, Some(n)) = (survey, after_new_stream) {
                        merged.news[n].1 = true;
                    }
                    self.entries.insert(at, theirs);
                    merged.changed = true;
                    anchor = Some(at);
                }
            }
        }
        if other.next_local > self.next_local {
            self.next_local = other.next_local;
            merged.changed = true;
        }
        let last_event_id = if same_customer {
            self.last_event_id.max(other.last_event_id)
        } else if other.saved_at > self.saved_at {
            other.last_event_id
        } else {
            self.last_event_id
        };
        if last_event_id != self.last_event_id {
            self.last_event_id = last_event_id;
            merged.changed = true;
        }
        if other.saved_at > self.saved_at {
            merged.changed |= self.visitor != other.visitor
                || self.session != other.session
                || self.unread != other.unread;
            self.visitor = other.visitor;
            self.session = other.session;
            self.unread = other.unread;
            self.saved_at = other.saved_at;
        }
        merged
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    fn entry_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key == key)
    }

    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    fn push_notice(&mut self, notice: Notice, now_ms: i64) -> String {
        self.next_local += 1;
        // The time keeps keys of lines written in different tabs apart.
        let key = format!("n:{now_ms:x}-{}", self.next_local);
        self.push(Entry {
            key: key.clone(),
            rev: 0,
            author: Author::System,
            sender: Profile::default(),
            at_ms: Some(now_ms),
            body: Body::Notice { notice },
        });
        key
    }

    /// Records the visitor the relay gave us. A different customer than before (the relay forgot
    /// the old one, or `identify()` named another user) starts over: new session, stream from the
    /// beginning. The old lines stay visible above a notice.
    pub fn set_visitor(&mut self, visitor: VisitorResponse, now_ms: i64) {
        let changed = self
            .visitor
            .as_ref()
            .is_some_and(|old| old.customer_token != visitor.customer_token);
        self.visitor = Some(visitor);
        if changed {
            self.session = Session::default();
            self.last_event_id = 0;
            self.push_notice(Notice::NewVisitor, now_ms);
        }
    }

    /// Applies the answer of `POST /v1/sessions`.
    pub fn session_created(
        &mut self,
        asked: AssignType,
        response: &CreateSessionResponse,
        now_ms: i64,
    ) -> SessionOutcome {
        let message = response.message.clone().unwrap_or_default();
        match response.code {
            Code::SUCCESS => match &response.assign_info {
                Some(AssignInfo::Robot(robot)) => {
                    self.session.phase = Phase::Robot;
                    self.session.im_sub_session_id = None;
                    self.session.robot = Some(Profile {
                        name: Some(robot.robot_name.clone()).filter(|n| !n.is_empty()),
                        avatar: robot.robot_avatar.clone(),
                    });
                    let welcome = robot
                        .welcome_message
                        .clone()
                        .filter(|w| !w.trim().is_empty())
                        .or_else(|| Some(message).filter(|m| !m.trim().is_empty()));
                    if let Some(welcome) = welcome {
                        self.next_local += 1;
                        let key = format!("r:welcome-{now_ms:x}-{}", self.next_local);
                        let sender = self.session.robot.clone().unwrap_or_default();
                        self.push(Entry {
                            key: key.clone(),
                            rev: 0,
                            author: Author::Robot,
                            sender,
                            at_ms: Some(now_ms),
                            body: Body::Reply {
                                message_id: key,
                                content: Content::text(welcome),
                                rating: None,
                            },
                        });
                    }
                    SessionOutcome::Robot
                }
                Some(AssignInfo::Agent(agent)) => {
                    self.session.phase = Phase::Agent;
                    self.session.no_agent = false;
                    self.session.queue_count = None;
                    self.session.assigning = false;
                    self.session.im_sub_session_id = response.im_sub_session_id();
                    self.session.agent = Some(Profile {
                        name: agent.agent_name.clone(),
                        avatar: agent.agent_avatar.clone(),
                    });
                    if let Some(survey) = &agent.survey_options {
                        self.session.survey_options = Some((**survey).clone());
                    }
                    SessionOutcome::Agent
                }
                None if asked == AssignType::Agent => {
                    self.session.phase = Phase::Agent;
                    SessionOutcome::Agent
                }
                None => {
                    self.session.phase = Phase::Robot;
                    SessionOutcome::Robot
                }
            },
            Code::QUEUED => {
                self.session.phase = Phase::Queued;
                self.session.no_agent = false;
                self.session.im_sub_session_id = response.im_sub_session_id();
                if let Some(AssignInfo::Agent(agent)) = &response.assign_info {
                    self.session.queue_count = agent.count.filter(|c| *c > 0);
                    self.session.assigning = self.session.queue_count.is_none();
                    if let Some(survey) = &agent.survey_options {
                        self.session.survey_options = Some((**survey).clone());
                    }
                } else {
                    self.session.queue_count = None;
                    self.session.assigning = true;
                }
                SessionOutcome::Queued
            }
            Code::NO_AGENT => {
                self.no_agent(now_ms);
                SessionOutcome::NoAgent
            }
            code => SessionOutcome::Refused(code, message),
        }
    }

    /// 2002 (from create-session or a relay error carrying it): nobody is online. The visitor
    /// keeps talking to the robot.
    pub fn no_agent(&mut self, now_ms: i64) {
        if self.session.phase != Phase::Agent {
            self.session.phase = Phase::Robot;
            self.session.im_sub_session_id = None;
        }
        self.session.queue_count = None;
        self.session.assigning = false;
        self.session.no_agent = true;
        self.push_notice(Notice::NoAgent, now_ms);
    }

    /// The agent session is gone (Udesk's 9200 on a send): the next message starts a new one.
    pub fn session_missing(&mut self, now_ms: i64) {
        if self.session.phase != Phase::Closed {
            self.session.phase = Phase::Closed;
            self.session.im_sub_session_id = None;
            self.push_notice(Notice::ConversationEnded, now_ms);
        }
    }

    /// Applies one `message` event of the stream; `None` when it was already applied (a replay
    /// after reconnecting, or a duplicate delivery).
    pub fn apply(&mut self, event: StreamMessage, panel_open: bool) -> Option<Applied> {
        let key = format!("r:{}", event.message.message_id);
        let seen = self.has(&key);
        // Ids only grow, so an id at or below the last one is a replay; a message never seen is
        // still taken (the relay's history may have restarted its numbering), never dropped.
        if event.id > self.last_event_id {
            self.last_event_id = event.id;
        }
        if seen {
            return None;
        }
        let message = event.message;
        let author = match event.assign_type {
            AssignType::Robot => Author::Robot,
            AssignType::Agent => Author::Agent,
        };
        let mut assigned = false;
        if author == Author::Agent {
            if message.agent_name.is_some() || message.agent_avatar.is_some() {
                self.session.agent = Some(Profile {
                    name: message.agent_name.clone(),
                    avatar: message.agent_avatar.clone(),
                });
            }
            if self.session.phase == Phase::Queued && !message.content.is_event() {
                // A person answered: the queue is over even if no start_session came first.
                assigned = self.enter_agent_phase(message.im_sub_session_id);
            }
        }
        let mut survey_key = None;
        if let Content::Event(kind, data) = &message.content {
            match kind {
                // Assigned, but the agent has not picked up yet: still waiting (分配中).
                EventKind::InfoAppoint if self.session.phase != Phase::Agent => {
                    self.session.phase = Phase::Queued;
                    self.session.queue_count = None;
                    self.session.assigning = true;
                    self.session.no_agent = false;
                    if let Some(id) = data.im_sub_session_id.or(message.im_sub_session_id) {
                        self.session.im_sub_session_id = Some(id);
                    }
                    self.adopt_agent(data.agent_name.clone(), data.agent_avatar.clone());
                }
                EventKind::StartSession | EventKind::ActiveGuest => {
                    assigned = self
                        .enter_agent_phase(data.im_sub_session_id.or(message.im_sub_session_id));
                    self.adopt_agent(data.agent_name.clone(), data.agent_avatar.clone());
                }
                EventKind::Transfer => {
                    assigned = self.enter_agent_phase(None);
                    if let Some(id) = data.im_sub_session_id.or(message.im_sub_session_id) {
                        self.session.im_sub_session_id = Some(id);
                    }
                    self.adopt_agent(data.agent_name.clone(), data.agent_avatar.clone());
                }
                EventKind::Close => {
                    if let Some(options) = &data.survey_options {
                        self.session.survey_options = Some((**options).clone());
                    }
                    let closed_session = message
                        .im_sub_session_id
                        .or(data.im_sub_session_id)
                        .or(self.session.im_sub_session_id);
                    // A close of a session we already left (transferred away) changes nothing.
                    let current = closed_session.is_none()
                        || closed_session == self.session.im_sub_session_id;
                    if current {
                        self.session.phase = Phase::Closed;
                        self.session.im_sub_session_id = None;
                        self.session.queue_count = None;
                        self.session.assigning = false;
                    }
                    let wants_survey = self
                        .session
                        .survey_options
                        .as_ref()
                        .is_some_and(|s| s.allows(&SurveyMethodFlag::AfterSession));
                    if let (true, Some(id)) = (wants_survey, closed_session) {
                        survey_key = self.add_survey(id, event.received_at);
                    }
                }
                EventKind::Survey => {
                    if let Some(options) = &data.survey_options {
                        self.session.survey_options = Some((**options).clone());
                    }
                    let session = data
                        .im_sub_session_id
                        .or(message.im_sub_session_id)
                        .or(self.session.im_sub_session_id);
                    if let Some(id) = session {
                        survey_key = self.add_survey(id, event.received_at);
                    }
                }
                _ => {}
            }
        }
        let at_ms = message
            .message_created_at
            .as_deref()
            .and_then(Clock::parse)
            .map(|c| c.to_epoch_ms(UDESK_UTC_OFFSET_MINUTES))
            .or(i64::try_from(event.received_at).ok());
        let sender = match author {
            Author::Agent => Profile {
                name: message
                    .agent_name
                    .clone()
                    .or_else(|| self.session.agent.as_ref().and_then(|a| a.name.clone())),
                avatar: message
                    .agent_avatar
                    .clone()
                    .or_else(|| self.session.agent.as_ref().and_then(|a| a.avatar.clone())),
            },
            _ => self.session.robot.clone().unwrap_or_default(),
        };
        let notable = !message.content.is_event() || survey_key.is_some();
        self.push(Entry {
            key: key.clone(),
            rev: 0,
            author,
            sender,
            at_ms,
            body: Body::Reply {
                message_id: message.message_id,
                content: message.content,
                rating: None,
            },
        });
        // Keep a survey card below the event that brought it.
        if let Some(survey) = &survey_key {
            if let Some(pos) = self.entries.iter().position(|e| &e.key == survey) {
                let card = self.entries.remove(pos);
                self.entries.push(card);
            }
        }
        if notable && !panel_open {
            self.unread = self.unread.saturating_add(1);
        }
        Some(Applied {
            key,
            notable,
            survey_key,
            assigned,
        })
    }

    /// Moves to [`Phase::Agent`]; `true` when this ends a wait in the queue.
    fn enter_agent_phase(&mut self, im_sub_session_id: Option<u64>) -> bool {
        let was_waiting = self.session.phase == Phase::Queued;
        self.session.phase = Phase::Agent;
        self.session.queue_count = None;
        self.session.assigning = false;
        self.session.no_agent = false;
        if let Some(id) = im_sub_session_id {
            self.session.im_sub_session_id = Some(id);
        }
        was_waiting
    }

    fn adopt_agent(&mut self, name: Option<String>, avatar: Option<String>) {
        if name.is_some() || avatar.is_some() {
            self.session.agent = Some(Profile { name, avatar });
        }
    }

    /// Adds a survey card for `im_sub_session_id` unless that session already has one.
    fn add_survey(&mut self, im_sub_session_id: u64, received_at: u64) -> Option<String> {
        let options = self.session.survey_options.clone()?;
        if options.choices().is_empty() {
            return None;
        }
        let key = format!("s:{im_sub_session_id}");
        if self.has(&key) {
            return None;
        }
        self.push(Entry {
            key: key.clone(),
            rev: 0,
            author: Author::System,
            sender: Profile::default(),
            at_ms: i64::try_from(received_at).ok(),
            body: Body::Survey {
                im_sub_session_id,
                options,
                state: SurveyState::Open,
            },
        });
        Some(key)
    }

    /// The visitor asked to rate the agent (`customer_invite`); the key of the card, if one could
    /// be shown.
    pub fn invite_survey(&mut self, now_ms: i64) -> Option<String> {
        if !self.session.can_invite_survey() {
            return None;
        }
        let id = self.session.im_sub_session_id?;
        let key = format!("s:{id}");
        if self.has(&key) {
            return Some(key);
        }
        self.add_survey(id, u64::try_from(now_ms).unwrap_or_default())
    }

    /// Applies a `reset` event: history no longer reaches back to where we were. The stream goes
    /// on from `earliest`, and the visitor is told that something is missing.
    pub fn reset(&mut self, reset: StreamReset, now_ms: i64) {
        self.last_event_id = reset.earliest.saturating_sub(1);
        self.push_notice(Notice::HistoryGap, now_ms);
    }

    /// Applies the answer of `GET /v1/queue_status`; `true` while polling should go on.
    pub fn queue_status(&mut self, response: &QueueStatusResponse) -> bool {
        if self.session.phase != Phase::Queued {
            return false;
        }
        if !response.code.is_success() {
            return true;
        }
        match &response.status {
            Some(QueueStatus::InSession) => {
                self.enter_agent_phase(None);
                false
            }
            Some(QueueStatus::Queueing) => {
                self.session.queue_count = response.count.filter(|c| *c > 0);
                self.session.assigning = self.session.queue_count.is_none();
                true
            }
            Some(QueueStatus::Assigning) => {
                self.session.queue_count = None;
                self.session.assigning = true;
                true
            }
            // 未排队 or something new: keep the last known state and keep asking.
            _ => true,
        }
    }

    /// Where a new message goes now.
    pub fn send_target(&self) -> Option<u64> {
        match self.session.phase {
            Phase::Agent | Phase::Queued => self.session.im_sub_session_id,
            Phase::Idle | Phase::Robot | Phase::Closed => None,
        }
    }

    /// Adds a message the visitor is sending (pending) and returns what to POST.
    pub fn send(&mut self, message_id: String, content: Content, now_ms: i64) -> Outgoing {
        let target = self.send_target();
        self.push(Entry {
            key: format!("v:{message_id}"),
            rev: 0,
            author: Author::Visitor,
            sender: Profile::default(),
            at_ms: Some(now_ms),
            body: Body::Outgoing {
                message_id: message_id.clone(),
                content: content.clone(),
                target,
                state: SendState::Pending,
            },
        });
        Outgoing {
            message_id,
            target,
            content,
        }
    }

    /// Records how a send ended.
    pub fn send_finished(&mut self, message_id: &str, ok: bool) {
        if let Some(entry) = self.entry_mut(&format!("v:{message_id}")) {
            if let Body::Outgoing { state, .. } = &mut entry.body {
                *state = if ok {
                    SendState::Sent
                } else {
                    SendState::Failed
                };
                entry.rev += 1;
            }
        }
    }

    /// Marks a failed message pending again; `false` when it is not a failed message.
    pub fn retry(&mut self, message_id: &str) -> bool {
        let Some(entry) = self.entry_mut(&format!("v:{message_id}")) else {
            return false;
        };
        match &mut entry.body {
            Body::Outgoing { state, .. } if *state == SendState::Failed => {
                *state = SendState::Pending;
                entry.rev += 1;
                true
            }
            _ => false,
        }
    }

    /// What to POST for a pending message: addressed to whoever the visitor talks to now (the
    /// session it was first meant for may have ended, or a session was created meanwhile); the
    /// message id stays the same.
    pub fn delivery(&mut self, message_id: &str) -> Option<Outgoing> {
        let current = self.send_target();
        let entry = self.entry_mut(&format!("v:{message_id}"))?;
        let Body::Outgoing {
            content,
            target,
            state: SendState::Pending,
            ..
        } = &mut entry.body
        else {
            return None;
        };
        *target = current;
        Some(Outgoing {
            message_id: message_id.to_owned(),
            target: current,
            content: content.clone(),
        })
    }

    /// Failed messages (to resend once the connection is back).
    pub fn failed_message_ids(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| match &e.body {
                Body::Outgoing {
                    message_id,
                    state: SendState::Failed,
                    ..
                } => Some(message_id.clone()),
                _ => None,
            })
            .collect()
    }

    /// Records the visitor's rating of a robot answer.
    pub fn rated(&mut self, key: &str, useful: bool) {
        if let Some(entry) = self.entry_mut(key) {
            if let Body::Reply { rating, .. } = &mut entry.body {
                *rating = Some(useful);
                entry.rev += 1;
            }
        }
    }

    /// Records a submitted survey.
    pub fn survey_submitted(&mut self, key: &str, option_id: u64) {
        if let Some(entry) = self.entry_mut(key) {
            if let Body::Survey { state, .. } = &mut entry.body {
                *state = SurveyState::Submitted { option_id };
                entry.rev += 1;
            }
        }
    }

    /// The visitor dismissed the "no agent online" banner.
    pub fn dismiss_no_agent(&mut self) {
        self.session.no_agent = false;
    }

    pub fn mark_read(&mut self) {
        self.unread = 0;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use udesk_protocol::notification::ReplyMessage;
    use udesk_protocol::{from_str, from_value};

    /// A conversation with every kind of entry, session and content in it.
    pub(crate) fn sample_conversation() -> Conversation {
        let mut c = Conversation::default();
        c.set_visitor(visitor("c1"), 0);
        c.session_created(AssignType::Robot, &robot_session(), 1);
        c.apply(
            event(
                1,
                AssignType::Robot,
                serde_json::json!({"message_id": "r1", "type": "message", "data": {
                    "question_id": 12, "answer": "<p>7 天</p>",
                    "gus_list": [{"question_title": "运费谁出？", "question_id": 3}],
                    "relate_list": ["退款多久？"], "third_url": "https://help/returns"}}),
            ),
            true,
        );
        c.rated("r:r1", true);
        c.send("w-1".into(), Content::text("hello"), 2);
        c.send("w-2".into(), Content::text("lost"), 3);
        c.send_finished("w-2", false);
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 4);
        let kinds = [
            (
                "image",
                serde_json::json!({"content": "https://x/a.png", "filename": "a.png"}),
            ),
            (
                "video",
                serde_json::json!({"content": "https://x/v.mp4", "duration": 12.5,
                "filesize": 4300000}),
            ),
            (
                "message",
                serde_json::json!({"content": "styled",
                "font": {"family": "Arial", "size": 14, "bold": true}}),
            ),
            (
                "message",
                serde_json::json!({"content": "plain", "font": "微软雅黑"}),
            ),
            ("rich", serde_json::json!({"content": "<b>rich</b>"})),
            (
                "struct",
                serde_json::json!({"content": {"title": "T", "img_url": "https://x/c.png",
                "buttons": [{"type": "phone", "text": "Call", "value": 10086}]}}),
            ),
            (
                "location",
                serde_json::json!({"content": "上海", "lat": 31.2}),
            ),
            (
                "start_session",
                serde_json::json!({"agent_name": "小明", "atuo": true,
                "something_new": [1]}),
            ),
        ];
        for (i, (kind, data)) in kinds.into_iter().enumerate() {
            c.apply(
                event(
                    10 + i as u64,
                    AssignType::Agent,
                    serde_json::json!({"message_id": format!("m{i}"), "type": kind,
                        "data": data, "im_sub_session_id": 1081}),
                ),
                false,
            );
        }
        c.reset(
            StreamReset {
                requested: 1,
                earliest: 30,
            },
            5,
        );
        c.no_agent(6);
        c.invite_survey(7);
        c.entries.push(Entry {
            key: "s:9".into(),
            rev: 1,
            author: Author::System,
            sender: Profile::default(),
            at_ms: None,
            body: Body::Survey {
                im_sub_session_id: 9,
                options: c.session.survey_options.clone().unwrap(),
                state: SurveyState::Submitted { option_id: 2 },
            },
        });
        c.saved_at = 8;
        c
    }

    pub(crate) fn visitor(token: &str) -> VisitorResponse {
        VisitorResponse {
            customer_token: token.to_owned(),
            token: format!("tok-{token}"),
            expires_at: 2_000_000_000,
        }
    }

    pub(crate) fn event(id: u64, assign: AssignType, message: serde_json::Value) -> StreamMessage {
        StreamMessage {
            id,
            assign_type: assign,
            received_at: 1_764_000_000_000 + id,
            message: from_value::<ReplyMessage>(message).unwrap(),
        }
    }

    pub(crate) fn text(id: u64, message_id: &str, content: &str) -> StreamMessage {
        event(
            id,
            AssignType::Agent,
            serde_json::json!({"message_id": message_id, "agent_name": "小明", "agent_id": 7,
                "im_sub_session_id": 1081, "type": "message", "data": {"content": content}}),
        )
    }

    pub(crate) fn robot_session() -> CreateSessionResponse {
        from_str(
            r#"{"code": 1000, "message": "您好", "assign_type": "robot",
                "assign_info": {"robot_name": "小U", "robot_avatar": "https://a/u.png",
                                "welcome_message": "您好，我是小U"}}"#,
        )
        .unwrap()
    }

    fn survey_options() -> serde_json::Value {
        serde_json::json!({"enabled": true, "title": "请评价", "remark_enabled": true,
            "options": [{"id": 1, "text": "满意"}, {"id": 2, "text": "不满意"}],
            "methods": [{"flag": "after_session"}, {"flag": "customer_invite"}]})
    }

    fn agent_session(code: i64, count: u32) -> CreateSessionResponse {
        from_value(serde_json::json!({"code": code, "assign_type": "agent",
            "message": "当前客服正繁忙",
            "assign_info": {"im_sub_session_id": 1081, "count": count, "agent_name": "小明",
                            "survey_options": survey_options()}}))
        .unwrap()
    }

    /// Merges another tab's whole conversation into `c`.
    pub(crate) fn merge_in(c: &mut Conversation, other: Conversation) -> Merged {
        let outline = other.outline(usize::MAX);
        c.merge(outline, |key| other.entry(key).cloned())
    }

    /// What a reload of `c` saved at `at` restores.
    pub(crate) fn reloaded(c: &Conversation, at: i64) -> Conversation {
        let mut c = saved_copy(c, at);
        c.after_reload();
        c
    }

    /// Another tab's save of `c` at `at`, as this tab reads it.
    pub(crate) fn saved_copy(c: &Conversation, at: i64) -> Conversation {
        Conversation {
            saved_at: at,
            ..c.clone()
        }
    }

    fn texts(c: &Conversation) -> Vec<String> {
        c.entries
            .iter()
            .filter_map(|e| match &e.body {
                Body::Reply {
                    content: Content::Text(t),
                    ..
                }
                | Body::Outgoing {
                    content: Content::Text(t),
                    ..
                } => Some(t.content.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_robot_session_shows_the_robot_and_its_welcome() {
        let mut c = Conversation::default();
        let outcome = c.session_created(AssignType::Robot, &robot_session(), 5);
        assert_eq!(outcome, SessionOutcome::Robot);
        assert_eq!(c.session.phase, Phase::Robot);
        assert_eq!(
            c.session.robot.as_ref().unwrap().name.as_deref(),
            Some("小U")
        );
        assert_eq!(texts(&c), ["您好，我是小U"]);
        assert_eq!(c.entries[0].author, Author::Robot);
        assert_eq!(c.send_target(), None, "robot messages carry no session id");
    }

    #[test]
    fn replayed_and_duplicated_events_are_applied_once() {
        let mut c = Conversation::default();
        c.session.phase = Phase::Agent;
        assert!(c.apply(text(1, "m1", "一"), true).is_some());
        assert!(c.apply(text(2, "m2", "二"), true).is_some());
        // A reconnect replays from an older id, and Udesk resent m2 under a new event id.
        assert!(c.apply(text(1, "m1", "一"), true).is_none());
        assert!(c.apply(text(3, "m2", "二"), true).is_none());
        assert!(c.apply(text(4, "m3", "三"), true).is_some());
        assert_eq!(texts(&c), ["一", "二", "三"]);
        assert_eq!(c.last_event_id, 4);
    }

    #[test]
    fn a_message_never_seen_is_kept_even_with_a_lower_id() {
        let mut c = Conversation {
            last_event_id: 40,
            ..Conversation::default()
        };
        assert!(c.apply(text(3, "fresh", "新"), true).is_some());
        assert_eq!(c.last_event_id, 40, "the resume point never moves back");
    }

    #[test]
    fn unread_counts_messages_while_closed_but_not_quiet_events() {
        let mut c = Conversation::default();
        c.apply(text(1, "m1", "hi"), false);
        c.apply(
            event(
                2,
                AssignType::Agent,
                serde_json::json!({"message_id": "e2", "type": "info_appoint", "data": {}}),
            ),
            false,
        );
        c.apply(text(3, "m3", "there"), true);
        assert_eq!(c.unread, 1);
        c.mark_read();
        assert_eq!(c.unread, 0);
    }

    #[test]
    fn queued_then_assigned_by_start_session() {
        let mut c = Conversation::default();
        let outcome = c.session_created(AssignType::Agent, &agent_session(2001, 3), 0);
        assert_eq!(outcome, SessionOutcome::Queued);
        assert_eq!(c.session.phase, Phase::Queued);
        assert_eq!(c.session.queue_count, Some(3));
        // Polling moves the position, then the agent takes the conversation.
        let status = |json: &str| from_str::<QueueStatusResponse>(json).unwrap();
        assert!(c.queue_status(&status(r#"{"code":1000,"status":"排队中","count":2}"#)));
        assert_eq!(c.session.queue_count, Some(2));
        assert!(c.queue_status(&status(r#"{"code":1000,"status":"分配中","count":0}"#)));
        assert!(c.session.assigning);
        let applied = c
            .apply(
                event(
                    1,
                    AssignType::Agent,
                    serde_json::json!({"message_id": "s1", "type": "start_session",
                        "agent_name": "小明", "agent_avatar": "https://a/m.png",
                        "im_sub_session_id": 1081, "data": {"content": "客服小明为您服务"}}),
                ),
                true,
            )
            .unwrap();
        assert!(applied.assigned);
        assert_eq!(c.session.phase, Phase::Agent);
        assert_eq!(
            c.session.agent.as_ref().unwrap().name.as_deref(),
            Some("小明")
        );
        assert_eq!(c.send_target(), Some(1081));
        assert!(!c.queue_status(&status(r#"{"code":1000,"status":"会话中"}"#)));
    }

    #[test]
    fn info_appoint_means_an_agent_is_being_assigned_not_yet_talking() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(2001, 2), 0);
        let appoint = |id| {
            event(
                id,
                AssignType::Agent,
                serde_json::json!({"message_id": format!("ia{id}"), "type": "info_appoint",
                    "data": {"agent_name": "小明", "im_sub_session_id": 1081}}),
            )
        };
        let applied = c.apply(appoint(1), true).unwrap();
        assert!(!applied.assigned);
        assert_eq!(c.session.phase, Phase::Queued);
        assert!(c.session.assigning);
        assert_eq!(c.session.queue_count, None);
        assert_eq!(
            c.session.agent.as_ref().unwrap().name.as_deref(),
            Some("小明")
        );
        // Once talking, a late info_appoint changes nothing.
        c.session.phase = Phase::Agent;
        c.apply(appoint(2), true);
        assert_eq!(c.session.phase, Phase::Agent);
    }

    #[test]
    fn queue_status_in_session_ends_the_wait() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(2001, 1), 0);
        let done = from_str::<QueueStatusResponse>(r#"{"code":1000,"status":"会话中"}"#).unwrap();
        assert!(!c.queue_status(&done), "polling stops at 会话中");
        assert_eq!(c.session.phase, Phase::Agent);
    }

    #[test]
    fn no_agent_online_keeps_the_robot_and_says_so() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Robot, &robot_session(), 0);
        let response: CreateSessionResponse =
            from_str(r#"{"code": 2002, "message": "暂无客服在线"}"#).unwrap();
        assert_eq!(
            c.session_created(AssignType::Agent, &response, 1),
            SessionOutcome::NoAgent
        );
        assert_eq!(c.session.phase, Phase::Robot);
        assert!(c.session.no_agent);
        assert!(matches!(
            c.entries.last().unwrap().body,
            Body::Notice {
                notice: Notice::NoAgent
            }
        ));
        c.dismiss_no_agent();
        assert!(!c.session.no_agent);
    }

    #[test]
    fn other_codes_are_refusals_with_udesk_words() {
        let mut c = Conversation::default();
        let response: CreateSessionResponse =
            from_str(r#"{"code": 2005, "message": "参数错误"}"#).unwrap();
        assert_eq!(
            c.session_created(AssignType::Agent, &response, 0),
            SessionOutcome::Refused(Code(2005), "参数错误".into())
        );
        assert_eq!(c.session.phase, Phase::Idle);
    }

    #[test]
    fn transfer_switches_to_the_new_session_and_agent() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        assert_eq!(c.send_target(), Some(1081));
        c.apply(
            event(
                1,
                AssignType::Agent,
                serde_json::json!({"message_id": "t1", "type": "transfer",
                    "im_sub_session_id": 1081,
                    "data": {"im_sub_session_id": 2002, "agent_name": "小红"}}),
            ),
            true,
        );
        assert_eq!(c.send_target(), Some(2002));
        assert_eq!(
            c.session.agent.as_ref().unwrap().name.as_deref(),
            Some("小红")
        );
        // The old session's close (after the transfer) does not end the new one.
        c.apply(
            event(
                2,
                AssignType::Agent,
                serde_json::json!({"message_id": "c1", "type": "close",
                    "im_sub_session_id": 1081, "data": {"close_type": "redirect"}}),
            ),
            true,
        );
        assert_eq!(c.session.phase, Phase::Agent);
        assert_eq!(c.send_target(), Some(2002));
    }

    #[test]
    fn close_ends_the_session_and_offers_the_survey_once() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        let close = || {
            event(
                1,
                AssignType::Agent,
                serde_json::json!({"message_id": "c1", "type": "close",
                    "im_sub_session_id": 1081, "data": {"close_type": "normal", "content": "会话已结束"}}),
            )
        };
        let applied = c.apply(close(), false).unwrap();
        assert_eq!(c.session.phase, Phase::Closed);
        assert_eq!(applied.survey_key.as_deref(), Some("s:1081"));
        assert!(applied.notable);
        assert_eq!(c.unread, 1);
        let last = c.entries.last().unwrap();
        assert!(matches!(
            last.body,
            Body::Survey {
                im_sub_session_id: 1081,
                state: SurveyState::Open,
                ..
            }
        ));
        // The agent's invite for the same session does not add a second card.
        c.apply(
            event(
                2,
                AssignType::Agent,
                serde_json::json!({"message_id": "sv", "type": "survey",
                    "im_sub_session_id": 1081, "data": {}}),
            ),
            true,
        );
        assert_eq!(
            c.entries
                .iter()
                .filter(|e| matches!(e.body, Body::Survey { .. }))
                .count(),
            1
        );
        c.survey_submitted("s:1081", 1);
        assert!(matches!(
            c.entry("s:1081").unwrap().body,
            Body::Survey {
                state: SurveyState::Submitted { option_id: 1 },
                ..
            }
        ));
        assert_eq!(c.send_target(), None, "after close the robot answers again");
    }

    #[test]
    fn close_without_after_session_method_shows_no_survey() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        c.session.survey_options.as_mut().unwrap().methods =
            from_value(serde_json::json!([{"flag": "agent_invite"}])).unwrap();
        let applied = c
            .apply(
                event(
                    1,
                    AssignType::Agent,
                    serde_json::json!({"message_id": "c1", "type": "close",
                        "im_sub_session_id": 1081, "data": {}}),
                ),
                true,
            )
            .unwrap();
        assert_eq!(applied.survey_key, None);
    }

    #[test]
    fn survey_event_with_todays_options_adds_a_card() {
        let mut c = Conversation::default();
        c.session.phase = Phase::Agent;
        c.session.im_sub_session_id = Some(55);
        let applied = c
            .apply(
                event(
                    1,
                    AssignType::Agent,
                    serde_json::json!({"message_id": "sv", "type": "survey", "data": {
                        "survey_options": {"enabled": true, "show_type": "star",
                            "star": {"options": [{"id": 11, "text": "1"}, {"id": 15, "text": "5",
                                "remark_option": "required"}]}}}}),
                ),
                true,
            )
            .unwrap();
        assert_eq!(applied.survey_key.as_deref(), Some("s:55"));
    }

    #[test]
    fn customer_invite_needs_the_method_and_an_agent_session() {
        let mut c = Conversation::default();
        assert_eq!(c.invite_survey(0), None);
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        assert!(c.session.can_invite_survey());
        assert_eq!(c.invite_survey(0).as_deref(), Some("s:1081"));
        assert_eq!(c.invite_survey(0).as_deref(), Some("s:1081"), "idempotent");
    }

    #[test]
    fn sends_go_pending_then_sent_or_failed_and_retry_keeps_the_id() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        let out = c.send("w-1".into(), Content::text("hello"), 10);
        assert_eq!(out.target, Some(1081));
        assert_eq!(c.entries.last().unwrap().key, "v:w-1");
        c.send_finished("w-1", false);
        assert_eq!(c.failed_message_ids(), ["w-1"]);
        assert!(
            c.delivery("w-1").is_none(),
            "a failed message is not delivered until retried"
        );
        assert!(c.retry("w-1"));
        let again = c.delivery("w-1").unwrap();
        assert_eq!(again.message_id, "w-1");
        assert_eq!(again.target, Some(1081));
        assert!(!c.retry("w-1"), "a pending message is not retried twice");
        c.send_finished("w-1", true);
        assert!(matches!(
            c.entry("v:w-1").unwrap().body,
            Body::Outgoing {
                state: SendState::Sent,
                ..
            }
        ));
        assert!(c.entry("v:w-1").unwrap().rev >= 3);
    }

    #[test]
    fn a_retry_after_the_session_ended_goes_to_the_robot() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        c.send("w-2".into(), Content::text("are you there"), 0);
        c.send_finished("w-2", false);
        c.session_missing(1);
        assert_eq!(c.session.phase, Phase::Closed);
        assert!(c.retry("w-2"));
        assert_eq!(c.delivery("w-2").unwrap().target, None);
    }

    #[test]
    fn a_reset_lowers_the_resume_point_and_tells_the_visitor() {
        let mut c = Conversation {
            last_event_id: 3,
            ..Conversation::default()
        };
        c.reset(
            StreamReset {
                requested: 3,
                earliest: 9,
            },
            0,
        );
        assert_eq!(c.last_event_id, 8);
        assert!(matches!(
            c.entries.last().unwrap().body,
            Body::Notice {
                notice: Notice::HistoryGap
            }
        ));
        assert!(c.apply(text(9, "m9", "九"), true).is_some());
    }

    #[test]
    fn a_new_customer_starts_over_but_the_same_one_continues() {
        let mut c = Conversation::default();
        c.set_visitor(visitor("c1"), 0);
        c.session.phase = Phase::Agent;
        c.last_event_id = 12;
        c.set_visitor(visitor("c1"), 0);
        assert_eq!(c.last_event_id, 12, "a renewed token keeps everything");
        c.set_visitor(visitor("c2"), 0);
        assert_eq!(c.last_event_id, 0);
        assert_eq!(c.session.phase, Phase::Idle);
        assert!(matches!(
            c.entries.last().unwrap().body,
            Body::Notice {
                notice: Notice::NewVisitor
            }
        ));
    }

    #[test]
    fn two_tabs_merge_into_one_conversation() {
        // Both tabs share the start; then each sends a message and gets a reply.
        let mut a = Conversation::default();
        a.set_visitor(visitor("c1"), 0);
        a.session_created(AssignType::Robot, &robot_session(), 0);
        a.apply(text(1, "m1", "一"), true);
        let mut b = reloaded(&a, 10);
        a.saved_at = 10;
        a.send("w-a".into(), Content::text("from tab a"), 20);
        b.send("w-b".into(), Content::text("from tab b"), 21);
        b.send_finished("w-b", true);
        b.apply(text(2, "m2", "二"), true);
        b.session_created(AssignType::Agent, &agent_session(2001, 2), 22);

        let b_saved = reloaded(&b, 30);
        assert!(merge_in(&mut a, b_saved.clone()).changed);
        let keys: Vec<&str> = a.entries.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&"v:w-a") && keys.contains(&"v:w-b") && keys.contains(&"r:m2"));
        assert_eq!(keys.iter().filter(|k| **k == "r:m1").count(), 1);
        assert_eq!(a.last_event_id, 2);
        assert!(matches!(
            a.entry("v:w-b").unwrap().body,
            Body::Outgoing {
                state: SendState::Sent,
                ..
            }
        ));
        assert_eq!(a.session.phase, Phase::Queued, "tab b saved last");
        // A send still under way in the other tab is not taken for a failed one.
        b.send("w-c".into(), Content::text("on its way"), 31);
        merge_in(&mut a, saved_copy(&b, 32));
        assert!(matches!(
            a.entry("v:w-c").unwrap().body,
            Body::Outgoing {
                state: SendState::Pending,
                ..
            }
        ));
        b.send_finished("w-c", true);
        merge_in(&mut a, saved_copy(&b, 33));
        assert!(matches!(
            a.entry("v:w-c").unwrap().body,
            Body::Outgoing {
                state: SendState::Sent,
                ..
            }
        ));
        let b_saved = saved_copy(&b, 34);
        merge_in(&mut a, b_saved.clone());
        // Merging the same state again changes nothing (no ping-pong between tabs).
        assert!(!merge_in(&mut a, b_saved).changed);
        // An older save does not take the session back.
        let mut old = b.clone();
        old.saved_at = 5;
        old.session = Session::default();
        merge_in(&mut a, old);
        assert_eq!(a.session.phase, Phase::Queued);
    }

    #[test]
    fn another_tabs_new_customer_resumes_the_stream_from_its_start() {
        let mut leader = Conversation::default();
        leader.set_visitor(visitor("c1"), 0);
        leader.apply(text(12, "m12", "old customer's"), true);
        leader.saved_at = 10;
        // identify() in another tab named another user: that customer's events start at 1.
        let mut other = reloaded(&leader, 10);
        other.set_visitor(visitor("c2"), 20);
        assert!(merge_in(&mut leader, saved_copy(&other, 20)).changed);
        assert_eq!(leader.visitor.as_ref().unwrap().customer_token, "c2");
        assert_eq!(
            leader.last_event_id, 0,
            "no event of the new customer is skipped"
        );
        // An older save of the old customer does not move it back.
        let mut stale = reloaded(&leader, 20);
        stale.set_visitor(visitor("c1"), 5);
        stale.last_event_id = 12;
        stale.saved_at = 5;
        merge_in(&mut leader, stale);
        assert_eq!(leader.last_event_id, 0);
        // The same customer's saves still resume after the later event.
        let mut ahead = leader.clone();
        ahead.apply(text(3, "n3", "new customer's"), true);
        merge_in(&mut leader, saved_copy(&ahead, 30));
        assert_eq!(leader.last_event_id, 3);
    }

    #[test]
    fn what_another_tab_applied_is_news_once_with_the_same_notability() {
        let mut leader = Conversation::default();
        leader.session_created(AssignType::Agent, &agent_session(1000, 0), 0);
        let follower = reloaded(&leader, 1);
        // The robot's welcome (the widget's own line) and the visitor's message are not news.
        leader.session_created(AssignType::Robot, &robot_session(), 2);
        leader.send("w-1".into(), Content::text("hi"), 3);
        let message = leader.apply(text(1, "m1", "您好"), false).unwrap();
        let close = leader
            .apply(
                event(
                    2,
                    AssignType::Agent,
                    serde_json::json!({"message_id": "c1", "type": "close",
                        "im_sub_session_id": 1081, "data": {"close_type": "normal"}}),
                ),
                false,
            )
            .unwrap();
        let quiet = leader
            .apply(
                event(
                    3,
                    AssignType::Agent,
                    serde_json::json!({"message_id": "e3", "type": "info_appoint",
                        "im_sub_session_id": 1082, "data": {}}),
                ),
                false,
            )
            .unwrap();
        let mut merged = follower.clone();
        let news: Vec<(String, bool)> = merge_in(&mut merged, saved_copy(&leader, 9))
            .news
            .into_iter()
            .map(|(entry, notable)| (entry.key, notable))
            .collect();
        assert_eq!(
            news,
            [
                (message.key, message.notable),
                (close.key, close.notable),
                (quiet.key, quiet.notable)
            ]
        );
        assert_eq!(
            news.iter().map(|n| n.1).collect::<Vec<_>>(),
            [true, true, false]
        );
        let again = saved_copy(&leader, 9);
        assert!(merge_in(&mut merged, again).news.is_empty());
    }

    #[test]
    fn message_times_come_from_udesk_or_the_relay() {
        let mut c = Conversation::default();
        let mut with_time = text(1, "m1", "a");
        with_time.message.message_created_at = Some("2017-07-11 09:52:00".into());
        c.apply(with_time, true);
        c.apply(text(2, "m2", "b"), true);
        assert_eq!(c.entries[0].at_ms, Some(1_499_737_920_000));
        assert_eq!(c.entries[1].at_ms, Some(1_764_000_000_002));
    }

    #[test]
    fn an_agent_message_while_queued_ends_the_queue() {
        let mut c = Conversation::default();
        c.session_created(AssignType::Agent, &agent_session(2001, 2), 0);
        let applied = c.apply(text(1, "m1", "您好"), true).unwrap();
        assert!(applied.assigned);
        assert_eq!(c.session.phase, Phase::Agent);
        assert_eq!(c.entries[0].sender.name.as_deref(), Some("小明"));
    }
}
