//! The scripted demo agent: answers as any agent configured `scripted`, after the typing delay.
//!
//! It greets a customer it picks up, acknowledges each message (when `auto_reply` is on), and on
//! `demo <kind>` commands sends every message type and event the spec lists, so that a widget can
//! be tried against all of them:
//!
//! | customer types | the agent sends |
//! |---|---|
//! | `demo help` | the list of commands |
//! | `demo text` | text with a font (family, size, colour, bold) |
//! | `demo rich` | a rich HTML fragment (list, link, emphasis, image) |
//! | `demo image` / `audio` / `video` / `file` | the simulator's own PNG / WAV / MP4 / PDF, with filename and filesize (and duration) |
//! | `demo struct` | a card in Udesk's `##UDESK_IM_STRUCT_MSG##` format, with link, phone and callback buttons |
//! | `demo all` | each of the above messages in turn |
//! | `demo survey` | a `survey` event (the agent invites a rating) |
//! | `demo transfer` | a `transfer` event: the conversation moves to another agent and a new im_sub_session_id |
//! | `demo close` | a `close` event with `close_type: normal` and the survey options |

use crate::state::{SessionState, World};
use crate::webhook::sleep_or_stop;
use crate::Sim;
use std::sync::Arc;
use udesk_protocol::content::{
    ButtonKind, CloseType, Font, FontStyle, MediaData, RichData, StructButton, StructCard,
    StructData, TextData,
};
use udesk_protocol::Content;

/// A scripted agent's reaction.
enum Action {
    Say(Vec<Content>),
    Survey,
    Transfer,
    Close,
}

const HELP: &str = "演示命令 Demo commands: demo text | demo rich | demo image | demo audio | \
                    demo video | demo file | demo struct | demo all | demo survey | \
                    demo transfer | demo close";

impl Sim {
    /// A scripted agent in session `session_id` got a customer message.
    pub(crate) fn scripted_agent_hears(
        self: &Arc<Self>,
        world: &mut World,
        session_id: u64,
        content: &Content,
    ) {
        let Some(action) = self.react(content) else {
            return;
        };
        if self.config.reply_delay.is_zero() {
            self.act(world, session_id, action);
            return;
        }
        let sim = Arc::clone(self);
        self.tasks.spawn(async move {
            if sleep_or_stop(&sim, sim.config.reply_delay).await {
                let mut world = sim.world();
                sim.act(&mut world, session_id, action);
            }
        });
    }

    /// A scripted agent greets a customer it just picked up.
    pub(crate) fn schedule_greeting(self: &Arc<Self>, session_id: u64) {
        // Always from a task, even with no delay: the caller still holds the world and pushes the
        // start_session event first, so the greeting follows it.
        let sim = Arc::clone(self);
        self.tasks.spawn(async move {
            if !sleep_or_stop(&sim, sim.config.reply_delay).await {
                return;
            }
            let mut world = sim.world();
            let name = world
                .sessions
                .get(&session_id)
                .and_then(|s| s.agent_id)
                .and_then(|id| world.agents.get(&id))
                .map(|a| a.config.name.clone())
                .unwrap_or_default();
            let text = format!(
                "您好，我是演示客服{name}，请问有什么可以帮您？输入 demo help 查看可以演示的消息类型。 \
                 Hi, I'm {name}, a demo agent. Type “demo help” to see every kind of message I can send."
            );
            sim.act(&mut world, session_id, Action::Say(vec![Content::text(text)]));
        });
    }

    fn react(&self, content: &Content) -> Option<Action> {
        let text = match content {
            Content::Text(t) => t.content.trim().to_lowercase(),
            _ if self.config.auto_reply => {
                return Some(Action::Say(vec![Content::text(format!(
                    "收到您发送的{}，谢谢！ Thanks, I got your {}.",
                    kind_zh(content.kind()),
                    content.kind()
                ))]))
            }
            _ => return None,
        };
        let command = text
            .strip_prefix("demo")
            .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
            .map(str::trim);
        let Some(command) = command else {
            if !self.config.auto_reply {
                return None;
            }
            let excerpt: String = match content {
                Content::Text(t) => t.content.chars().take(40).collect(),
                _ => String::new(),
            };
            return Some(Action::Say(vec![Content::text(format!(
                "已收到：“{excerpt}”。输入 demo help 查看演示命令。 Got it: “{excerpt}”. Type “demo help” for the demo commands."
            ))]));
        };
        Some(match command {
            "text" => Action::Say(vec![self.demo_text()]),
            "rich" => Action::Say(vec![self.demo_rich()]),
            "image" => Action::Say(vec![self.demo_media("image")]),
            "audio" => Action::Say(vec![self.demo_media("audio")]),
            "video" => Action::Say(vec![self.demo_media("video")]),
            "file" => Action::Say(vec![self.demo_media("file")]),
            "struct" | "card" => Action::Say(vec![self.demo_struct()]),
            "all" => Action::Say(vec![
                self.demo_text(),
                self.demo_rich(),
                self.demo_media("image"),
                self.demo_media("audio"),
                self.demo_media("video"),
                self.demo_media("file"),
                self.demo_struct(),
            ]),
            "survey" => Action::Survey,
            "transfer" => Action::Transfer,
            "close" => Action::Close,
            _ => Action::Say(vec![Content::text(HELP)]),
        })
    }

    /// Carries an action out, if the session is still in progress.
    fn act(self: &Arc<Self>, world: &mut World, session_id: u64, action: Action) {
        let in_progress = world
            .sessions
            .get(&session_id)
            .is_some_and(|s| s.state == SessionState::Active);
        if !in_progress {
            return;
        }
        let result = match action {
            Action::Say(contents) => contents
                .into_iter()
                .try_for_each(|content| self.agent_says(world, session_id, content)),
            Action::Survey => self.invite_survey(world, session_id),
            Action::Transfer => match self.transfer_target(world, session_id) {
                Some(agent) => self.transfer(world, session_id, agent).map(drop),
                None => self.agent_says(
                    world,
                    session_id,
                    Content::text(
                        "现在没有其他客服在线，无法转接。 No other agent is online to transfer to.",
                    ),
                ),
            },
            Action::Close => self.close_session(world, session_id, CloseType::Normal),
        };
        if let Err(err) = result {
            tracing::warn!(session_id, %err, "the scripted agent could not act");
        }
    }

    /// Another online agent, preferring the same group.
    fn transfer_target(&self, world: &World, session_id: u64) -> Option<u64> {
        let session = world.sessions.get(&session_id)?;
        let current = session.agent_id?;
        let group = world.groups.iter().find(|g| g.id == session.group_id);
        let online_other =
            |id: &u64| *id != current && world.agents.get(id).is_some_and(|a| a.online);
        group
            .and_then(|g| g.agent_ids.iter().copied().find(online_other))
            .or_else(|| world.agents.keys().copied().find(online_other))
    }

    fn demo_text(&self) -> Content {
        Content::Text(TextData {
            font: Some(Font::Style(FontStyle {
                family: Some("微软雅黑".into()),
                size: Some("16px".into()),
                color: Some("#1e6fd9".into()),
                bold: Some(true),
                italic: None,
                underline: None,
            })),
            content: "这是一条带字体的文字消息。 This text message carries a font.".into(),
        })
    }

    fn demo_rich(&self) -> Content {
        Content::Rich(RichData {
            content: format!(
                "<p><b>富文本消息</b> / <i>rich message</i></p>\
                 <ul><li>支持列表 lists</li><li>链接 <a href=\"https://udesk-chat.local/docs\" target=\"_blank\">links</a></li></ul>\
                 <p><img src=\"{}\" alt=\"demo\" width=\"120\"></p>",
                self.url("/media/demo.png")
            ),
        })
    }

    fn demo_media(&self, kind: &str) -> Content {
        let item = self.media.demo(kind);
        let data = MediaData {
            content: self.url(&item.path),
            filename: Some(item.filename.to_owned()),
            filesize: Some(human_size(item.bytes.len())),
            duration: item.duration_secs,
        };
        match kind {
            "image" => Content::Image(data),
            "audio" => Content::Audio(data),
            "video" => Content::Video(data),
            _ => Content::File(data),
        }
    }

    fn demo_struct(&self) -> Content {
        Content::Struct(StructData {
            cards: vec![StructCard {
                title: Some("Udesk Chat 专业版 / Pro plan".into()),
                description: Some(
                    "每坐席每月 99 元，含机器人与报表。 $15 per seat per month.".into(),
                ),
                img_url: Some(self.url("/media/demo.png")),
                buttons: vec![
                    StructButton {
                        kind: ButtonKind::Link,
                        text: "查看详情 Details".into(),
                        value: "https://udesk-chat.local/pricing".into(),
                    },
                    StructButton {
                        kind: ButtonKind::Phone,
                        text: "致电 Call us".into(),
                        value: "400-000-0000".into(),
                    },
                    StructButton {
                        kind: ButtonKind::SdkCallback,
                        text: "立即购买 Buy".into(),
                        value: "buy_pro".into(),
                    },
                ],
            }],
        })
    }
}

/// A size as Udesk writes it: `"4.3M"`, `"12.5K"`, `"800B"`.
pub fn human_size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1}M", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1}K", b as f64 / 1024.0),
        b => format!("{b}B"),
    }
}

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "image" => "图片",
        "audio" => "语音",
        "video" => "视频",
        "file" => "文件",
        "rich" => "富文本",
        "struct" => "卡片",
        _ => "消息",
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_udesk() {
        assert_eq!(human_size(800), "800B");
        assert_eq!(human_size(12_800), "12.5K");
        assert_eq!(human_size(4_508_877), "4.3M");
    }
}
