//! The widget's words in zh-CN and English.
//!
//! The locale comes from the host's `data-locale`, else `navigator.language`; `setLocale()`
//! changes it at run time. Every phrase is a field of [`Texts`], so a missing translation is a
//! compile error, not a blank button. Phrases with numbers are methods.

/// A supported language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    ZhCn,
    #[default]
    En,
}

impl Locale {
    /// The best match for a BCP 47 tag (`zh`, `zh-Hans-CN`, `en-GB`, …); `None` when neither fits.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The locale for an explicit choice, else the first supported browser language, else English.
    pub fn detect<'a>(
        explicit: Option<&str>,
        browser: impl IntoIterator<Item = &'a str>,
    ) -> Locale {
        explicit
            .and_then(Locale::parse)
            .or_else(|| browser.into_iter().find_map(Locale::parse))
            .unwrap_or_default()
    }

    /// The `lang` attribute value.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::ZhCn => &ZH_CN,
            Locale::En => &EN,
        }
    }
}

/// Every fixed phrase of the widget.
#[derive(Debug)]
pub struct Texts {
    pub default_title: &'static str,
    pub close_chat: &'static str,
    pub robot: &'static str,
    pub agent: &'static str,
    pub talk_to_person: &'static str,
    pub rate_service: &'static str,
    /// The short label of the rate action in the header.
    pub rate_short: &'static str,
    pub composer_placeholder: &'static str,
    pub composer_label: &'static str,
    pub send: &'static str,
    pub sending: &'static str,
    pub sent: &'static str,
    pub failed: &'static str,
    pub retry: &'static str,
    /// The attach button: pick a picture or file to send.
    pub attach: &'static str,
    /// The voice note button, before and while recording.
    pub record_voice: &'static str,
    pub stop_recording: &'static str,
    pub recording: &'static str,
    pub microphone_unavailable: &'static str,
    pub uploading: &'static str,
    pub cancel: &'static str,
    pub upload_failed: &'static str,
    pub upload_cancelled: &'static str,
    pub upload_sent: &'static str,
    pub file_empty: &'static str,
    /// HEIC, AVIF, TIFF: the relay cannot remove a location from them.
    pub picture_unsupported: &'static str,
    pub connecting: &'static str,
    pub offline: &'static str,
    pub reconnected: &'static str,
    pub assigning: &'static str,
    pub no_agent: &'static str,
    pub keep_with_robot: &'static str,
    pub try_again: &'static str,
    pub conversation_ended: &'static str,
    pub history_gap: &'static str,
    pub new_visitor: &'static str,
    pub useful: &'static str,
    pub not_useful: &'static str,
    pub rated_useful: &'static str,
    pub rated_not_useful: &'static str,
    pub read_more: &'static str,
    pub suggestions: &'static str,
    pub image: &'static str,
    pub enlarge_image: &'static str,
    pub close_image: &'static str,
    pub download: &'static str,
    pub file: &'static str,
    pub unsupported: &'static str,
    pub survey_title: &'static str,
    pub survey_remark: &'static str,
    pub survey_remark_required: &'static str,
    pub survey_submit: &'static str,
    pub survey_thanks: &'static str,
    pub survey_failed: &'static str,
    pub call: &'static str,
    pub error_generic: &'static str,
    pub messages_label: &'static str,
    /// The button above the transcript's rendered rows that renders earlier ones.
    pub show_earlier: &'static str,
    pub you: &'static str,
    pub system: &'static str,
    /// The accessible name of the star survey's group.
    pub stars_label: &'static str,
    pub event_start_session: &'static str,
    pub event_transfer: &'static str,
    pub event_close: &'static str,
    pub event_info_appoint: &'static str,
    pub event_robot_transfer: &'static str,
    pub event_survey: &'static str,
    pub event_other: &'static str,
}

impl Texts {
    /// "You are number N in line."
    pub fn queue_position(&self, n: u32) -> String {
        if std::ptr::eq(self, &ZH_CN) {
            format!("您当前排在第 {n} 位，请稍候。")
        } else {
            format!("You are number {n} in line.")
        }
    }

    /// "The file is too large (at most 10 MB)."
    pub fn too_large(&self, max: &str) -> String {
        if std::ptr::eq(self, &ZH_CN) {
            format!("文件过大（最大 {max}）。")
        } else {
            format!("The file is too large (at most {max}).")
        }
    }

    /// A sentence about one file: "“photo.png”: Upload failed".
    pub fn about_file(&self, name: &str, text: &str) -> String {
        if std::ptr::eq(self, &ZH_CN) {
            format!("“{name}”：{text}")
        } else {
            format!("“{name}”: {text}")
        }
    }

    /// The page title prefix while messages are unread: "(3) ".
    pub fn unread_title(&self, n: u32, title: &str) -> String {
        format!("({n}) {title}")
    }

    /// What the live region says for a new message.
    pub fn announce(&self, from: &str, text: &str) -> String {
        if std::ptr::eq(self, &ZH_CN) {
            format!("{from}：{text}")
        } else {
            format!("{from}: {text}")
        }
    }

    /// A star option's accessible name.
    pub fn stars(&self, n: usize, label: &str) -> String {
        if std::ptr::eq(self, &ZH_CN) {
            format!("{n} 星：{label}")
        } else {
            format!("{n} star{}: {label}", if n == 1 { "" } else { "s" })
        }
    }
}

pub static EN: Texts = Texts {
    default_title: "Chat with us",
    close_chat: "Close chat",
    robot: "Assistant",
    agent: "Support agent",
    talk_to_person: "Talk to a person",
    rate_service: "Rate this conversation",
    rate_short: "Rate",
    composer_placeholder: "Type a message…",
    composer_label: "Message",
    send: "Send",
    sending: "Sending…",
    sent: "Sent",
    failed: "Not sent",
    retry: "Retry",
    attach: "Send a picture or file",
    record_voice: "Record a voice message",
    stop_recording: "Stop recording and send",
    recording: "Recording…",
    microphone_unavailable: "The microphone is not available.",
    uploading: "Uploading",
    cancel: "Cancel",
    upload_failed: "Upload failed",
    upload_cancelled: "Upload cancelled",
    upload_sent: "Uploaded",
    file_empty: "The file is empty.",
    picture_unsupported: "This picture format cannot be sent (it may carry your location). Please send a JPEG or PNG.",
    connecting: "Connecting…",
    offline: "Connection lost. Reconnecting…",
    reconnected: "Connected again.",
    assigning: "Finding an agent for you…",
    no_agent: "No agent is online right now — leave a message or keep talking to the robot.",
    keep_with_robot: "Keep talking to the robot",
    try_again: "Try again",
    conversation_ended: "This conversation has ended. Write again to start a new one.",
    history_gap: "Some earlier messages could not be restored.",
    new_visitor: "A new conversation has started.",
    useful: "Useful",
    not_useful: "Not useful",
    rated_useful: "You found this useful. Thanks!",
    rated_not_useful: "Thanks, we will improve this answer.",
    read_more: "Read more",
    suggestions: "You may also ask",
    image: "Image",
    enlarge_image: "Enlarge image",
    close_image: "Close image",
    download: "Download",
    file: "File",
    unsupported: "This message cannot be shown here",
    survey_title: "How was our service?",
    survey_remark: "Anything to add? (optional)",
    survey_remark_required: "Please tell us more (required)",
    survey_submit: "Submit",
    survey_thanks: "Thank you for your feedback!",
    survey_failed: "Your rating could not be sent. Please try again.",
    call: "Call",
    error_generic: "Something went wrong. Please try again.",
    messages_label: "Conversation",
    show_earlier: "Show earlier messages",
    you: "You",
    system: "System",
    stars_label: "Rating",
    event_start_session: "An agent joined the conversation.",
    event_transfer: "You were transferred to another agent.",
    event_close: "The conversation has ended.",
    event_info_appoint: "An agent has been assigned to you.",
    event_robot_transfer: "Transferring you to a person…",
    event_survey: "The agent invites you to rate the service.",
    event_other: "Conversation updated.",
};

pub static ZH_CN: Texts = Texts {
    default_title: "在线客服",
    close_chat: "关闭在线客服",
    robot: "智能助手",
    agent: "客服",
    talk_to_person: "转人工客服",
    rate_service: "评价本次服务",
    rate_short: "评价",
    composer_placeholder: "请输入消息…",
    composer_label: "消息",
    send: "发送",
    sending: "发送中…",
    sent: "已发送",
    failed: "发送失败",
    retry: "重试",
    attach: "发送图片或文件",
    record_voice: "录制语音消息",
    stop_recording: "停止录音并发送",
    recording: "录音中…",
    microphone_unavailable: "无法使用麦克风。",
    uploading: "上传中",
    cancel: "取消",
    upload_failed: "上传失败",
    upload_cancelled: "已取消上传",
    upload_sent: "已上传",
    file_empty: "文件为空。",
    picture_unsupported: "无法发送此图片格式（可能包含您的位置信息），请发送 JPEG 或 PNG。",
    connecting: "正在连接…",
    offline: "连接已断开，正在重新连接…",
    reconnected: "已重新连接。",
    assigning: "正在为您分配客服…",
    no_agent: "当前没有客服在线——您可以留言，或继续与机器人对话。",
    keep_with_robot: "继续与机器人对话",
    try_again: "再试一次",
    conversation_ended: "本次会话已结束，发送消息即可开始新的会话。",
    history_gap: "部分较早的消息无法恢复。",
    new_visitor: "已开始新的会话。",
    useful: "有用",
    not_useful: "没用",
    rated_useful: "感谢您的反馈：有用。",
    rated_not_useful: "感谢反馈，我们会改进这个回答。",
    read_more: "查看详情",
    suggestions: "您可能还想问",
    image: "图片",
    enlarge_image: "查看大图",
    close_image: "关闭大图",
    download: "下载",
    file: "文件",
    unsupported: "暂不支持显示此消息",
    survey_title: "请对本次服务进行评价",
    survey_remark: "补充说明（选填）",
    survey_remark_required: "请填写评价说明（必填）",
    survey_submit: "提交评价",
    survey_thanks: "感谢您的评价！",
    survey_failed: "评价提交失败，请重试。",
    call: "拨打",
    error_generic: "出错了，请重试。",
    messages_label: "会话记录",
    show_earlier: "查看更早的消息",
    you: "我",
    system: "系统",
    stars_label: "评分",
    event_start_session: "客服已接入会话。",
    event_transfer: "会话已转接给其他客服。",
    event_close: "会话已结束。",
    event_info_appoint: "已为您分配客服。",
    event_robot_transfer: "正在为您转接人工客服…",
    event_survey: "客服邀请您对本次服务进行评价。",
    event_other: "会话状态已更新。",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_languages_pick_the_locale() {
        assert_eq!(Locale::detect(None, ["zh-CN", "en"]), Locale::ZhCn);
        assert_eq!(Locale::detect(None, ["zh-Hans-CN"]), Locale::ZhCn);
        assert_eq!(Locale::detect(None, ["fr-FR", "en-GB"]), Locale::En);
        assert_eq!(
            Locale::detect(None, ["fr-FR"]),
            Locale::En,
            "English is the fallback"
        );
        assert_eq!(Locale::detect(None, []), Locale::En);
    }

    #[test]
    fn an_explicit_locale_wins_unless_unsupported() {
        assert_eq!(Locale::detect(Some("en"), ["zh-CN"]), Locale::En);
        assert_eq!(Locale::detect(Some("zh_CN"), ["en-US"]), Locale::ZhCn);
        assert_eq!(Locale::detect(Some("klingon"), ["zh-TW"]), Locale::ZhCn);
    }

    #[test]
    fn phrases_with_numbers_are_in_the_right_language() {
        assert_eq!(EN.queue_position(3), "You are number 3 in line.");
        assert!(ZH_CN.queue_position(3).contains("第 3 位"));
        assert_eq!(EN.unread_title(4, "Shop"), "(4) Shop");
        assert_eq!(EN.stars(1, "Bad"), "1 star: Bad");
        assert_eq!(ZH_CN.announce("客服", "你好"), "客服：你好");
        assert_eq!(
            EN.too_large("10 MB"),
            "The file is too large (at most 10 MB)."
        );
        assert!(ZH_CN.too_large("10 MB").contains("10 MB"));
        assert_eq!(
            EN.about_file("a.png", "Upload failed"),
            "“a.png”: Upload failed"
        );
    }

    #[test]
    fn the_two_locales_differ_everywhere_it_matters() {
        // A phrase copied untranslated would show English in a Chinese page.
        assert_ne!(EN.talk_to_person, ZH_CN.talk_to_person);
        assert_ne!(EN.no_agent, ZH_CN.no_agent);
        assert_ne!(EN.survey_submit, ZH_CN.survey_submit);
        assert_eq!(Locale::ZhCn.tag(), "zh-CN");
    }
}
