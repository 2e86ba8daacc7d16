//! Makes every reply (and every create-session answer) safe before it reaches a browser.
//!
//! The contract with the widget, field by field, in three kinds:
//! - **HTML** (sanitised by the allowlist of [`udesk_protocol::html_policy`], which the widget's
//!   DOM pass applies too; safe to render as HTML): `rich` content, a robot answer's `answer`
//!   and `question_title` (the widget shows the title when there is no answer), and a text
//!   message's `content` *when it contains markup* (`<` before a letter, `/`, `!` or `?`, which
//!   covers what the widget treats as HTML). A text without markup is left exactly as written,
//!   so `A & B < C` reaches the visitor as typed, not as `A &amp; B`.
//! - **Plain text** (the widget escapes it; it never holds tags): names, file names and sizes,
//!   survey texts, robot name and the welcome, card titles, descriptions and button labels,
//!   suggested questions, event texts and the `content` of unknown message types. Fields that
//!   Udesk's editors may fill with markup (cards, suggestions, events, unknown kinds) have their
//!   tags removed and entities decoded; all plain text loses control characters (but newline and
//!   tab) and the Unicode bidi overrides and isolates that make `invoice\u{202E}fdp.exe` look
//!   like `invoiceexe.pdf`.
//! - **URLs** the widget may load or open (media, `img_url`, avatars, `third_url`, link buttons,
//!   `<a href>`, `<img src>`) are http(s) only; a media message with any other URL becomes a text
//!   saying it was removed, other unsafe URLs are dropped, phone buttons must be phone numbers.
//!
//! Not sanitised, and not for display: `message_id`, ids, `message_created_at`, fonts (checked
//! to be plain CSS values), `sdk_callback` button values, and the raw `data` of unknown message
//! types and the unknown fields of events beyond their `content` (kept verbatim, as the protocol
//! promises; the widget must not render them).

use ammonia::{Builder, UrlRelative};
use std::collections::HashSet;
use std::sync::LazyLock;
use udesk_protocol::content::{
    ButtonKind, Content, EventData, Font, MediaData, RichData, StructCard, StructData, TextData,
};
use udesk_protocol::html_policy as policy;
use udesk_protocol::robot::{RobotAnswer, Suggestion, ThirdUrl};
use udesk_protocol::session::{AssignInfo, CreateSessionResponse};
use udesk_protocol::survey::SurveyOptions;
use udesk_protocol::ReplyMessage;

/// The HTML allowlist of [`udesk_protocol::html_policy`] (the widget's DOM pass applies the same
/// lists), as an ammonia `Builder`. Every list is set explicitly from the policy, none is left
/// at ammonia's default. Ammonia's own URL and style checks run as well: what it keeps passed both.
static HTML: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let set = |list: &[&'static str]| list.iter().copied().collect::<HashSet<_>>();
    let mut b = Builder::empty();
    b.tags(set(policy::ALLOWED_TAGS))
        .clean_content_tags(set(policy::REMOVED_WITH_CONTENT))
        .generic_attributes(set(policy::GENERIC_ATTRIBUTES))
        .tag_attributes(
            policy::TAG_ATTRIBUTES
                .iter()
                .map(|(tag, attributes)| (*tag, set(attributes)))
                .collect(),
        )
        .filter_style_properties(set(policy::STYLE_PROPERTIES))
        .url_schemes(set(policy::URL_SCHEMES))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(policy::LINK_REL))
        .set_tag_attribute_value("a", "target", policy::LINK_TARGET)
        .strip_comments(true)
        .attribute_filter(policy::attribute_value);
    b
});

/// No tags at all: what is left is the text (script and style contents go too).
static NO_TAGS: LazyLock<Builder<'static>> = LazyLock::new(Builder::empty);

/// An HTML fragment with everything outside the allowlist removed.
pub fn html(fragment: &str) -> String {
    HTML.clean(fragment).to_string()
}

/// Whether a text holds markup: `<` followed by a letter, `/`, `!` or `?`.
pub fn has_markup(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

/// A text message's content: cleaned HTML when it holds markup, otherwise as written but for
/// control characters ([`without_controls`]).
pub fn text_or_html(text: &str) -> String {
    let text = without_controls(text);
    if has_markup(&text) {
        html(&text)
    } else {
        text
    }
}

/// A text without control characters but newline, carriage return and tab: a NUL or an escape
/// sequence is never something a person typed, and NUL truncates text in C-based consumers
/// (logs, Udesk's storage, agents' consoles). Used on replies and on the visitor's own texts.
pub fn without_controls(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

/// Plain text for the widget to escape: no control characters (but newline and tab), no bidi
/// overrides or isolates.
pub fn plain(text: &str) -> String {
    let unwanted = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    text.chars().filter(|&c| !unwanted(c)).collect()
}

/// The text of a fragment that may hold markup, as [`plain`] text: tags removed, entities
/// decoded (`<b>A &amp; B</b>` → `A & B`).
pub fn markup_to_plain(text: &str) -> String {
    if !has_markup(text) && !text.contains('&') {
        return plain(text);
    }
    plain(&decode_entities(&NO_TAGS.clean(text).to_string()))
}

/// Undoes the escaping of ammonia's serialiser, which writes only these four entities in text.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&nbsp;", '\u{a0}'),
        ]
        .iter()
        .find(|(entity, _)| rest.starts_with(entity))
        .map_or(('&', 1), |(entity, c)| (*c, entity.len()));
        out.push(decoded);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// Absolute http(s) URLs only (media, avatars, `<img src>`): one definition, in the HTML policy.
pub use udesk_protocol::html_policy::is_http_url;

fn http_url(url: Option<String>) -> Option<String> {
    url.filter(|u| is_http_url(u)).map(|u| u.trim().to_owned())
}

fn plain_opt(text: Option<String>) -> Option<String> {
    text.map(|t| plain(&t))
}

/// A phone number a `tel:` link may carry.
fn is_phone(value: &str) -> bool {
    let value = value.trim();
    (1..=32).contains(&value.len())
        && value.chars().any(|c| c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '#' | '*'))
}

/// A font value the widget may put into a style: names and sizes, nothing that ends a
/// declaration or loads a URL.
fn is_safe_css_value(value: &str) -> bool {
    value.len() <= 64
        && value.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, ' ' | ',' | '-' | '#' | '.' | '%' | '"' | '\'')
        })
}

fn font(font: Option<Font>) -> Option<Font> {
    match font? {
        Font::Family(name) => is_safe_css_value(&name).then_some(Font::Family(name)),
        Font::Style(mut style) => {
            for part in [&mut style.family, &mut style.size, &mut style.color] {
                if part.as_deref().is_some_and(|v| !is_safe_css_value(v)) {
                    *part = None;
                }
            }
            Some(Font::Style(style))
        }
    }
}

/// The reply, safe for any browser.
pub fn reply(mut message: ReplyMessage) -> ReplyMessage {
    message.agent_name = plain_opt(message.agent_name);
    message.agent_avatar = http_url(message.agent_avatar);
    message.content = content(message.content);
    message
}

/// The content, safe for any browser.
pub fn content(content: Content) -> Content {
    match content {
        Content::Text(TextData { font: f, content }) => Content::Text(TextData {
            font: font(f),
            content: text_or_html(&content),
        }),
        Content::Rich(RichData { content }) => Content::Rich(RichData {
            content: html(&content),
        }),
        Content::Image(m) => media("image", m, Content::Image),
        Content::Audio(m) => media("audio", m, Content::Audio),
        Content::Video(m) => media("video", m, Content::Video),
        Content::File(m) => media("file", m, Content::File),
        Content::Struct(data) => Content::Struct(StructData {
            cards: data.cards.into_iter().map(card).collect(),
        }),
        Content::RobotAnswer(answer) => Content::RobotAnswer(robot_answer(answer)),
        Content::Event(kind, data) => Content::Event(kind, event(data)),
        Content::Unknown { kind, mut data } => {
            // The widget shows an unknown kind's `content` as text at most.
            if let Some(serde_json::Value::String(text)) = data.get_mut("content") {
                *text = markup_to_plain(text);
            }
            Content::Unknown { kind, data }
        }
    }
}

/// A create-session answer, safe for any browser: the widget shows its names, avatars, welcome
/// and survey like a reply's.
pub fn session_answer(mut answer: CreateSessionResponse) -> CreateSessionResponse {
    answer.message = answer.message.map(|m| text_or_html(&m));
    answer.assign_info = answer.assign_info.map(|info| match info {
        AssignInfo::Robot(mut robot) => {
            robot.robot_name = plain(&robot.robot_name);
            robot.robot_avatar = http_url(robot.robot_avatar);
            robot.welcome_message = robot.welcome_message.map(|w| text_or_html(&w));
            robot.unknow_message = robot.unknow_message.map(|u| text_or_html(&u));
            AssignInfo::Robot(robot)
        }
        AssignInfo::Agent(mut agent) => {
            agent.agent_name = plain_opt(agent.agent_name);
            agent.agent_avatar = http_url(agent.agent_avatar);
            agent.survey_options = agent.survey_options.map(|s| Box::new(survey(*s)));
            AssignInfo::Agent(agent)
        }
    });
    answer
}

fn media(kind: &str, m: MediaData, wrap: fn(MediaData) -> Content) -> Content {
    if is_http_url(&m.content) {
        wrap(MediaData {
            content: m.content.trim().to_owned(),
            filename: plain_opt(m.filename),
            filesize: plain_opt(m.filesize),
            duration: m.duration,
        })
    } else {
        Content::text(format!("[{kind} removed: its link is not http(s)]"))
    }
}

fn card(card: StructCard) -> StructCard {
    StructCard {
        title: card.title.map(|t| markup_to_plain(&t)),
        description: card.description.map(|d| markup_to_plain(&d)),
        img_url: http_url(card.img_url),
        buttons: card
            .buttons
            .into_iter()
            .filter(|b| match &b.kind {
                ButtonKind::Link => is_http_url(&b.value),
                ButtonKind::Phone => is_phone(&b.value),
                ButtonKind::SdkCallback => true,
                ButtonKind::Other(_) => false,
            })
            .map(|mut b| {
                b.text = markup_to_plain(&b.text);
                b.value = b.value.trim().to_owned();
                b
            })
            .collect(),
    }
}

fn suggestion(s: Suggestion) -> Suggestion {
    Suggestion {
        question_id: s.question_id,
        question_title: markup_to_plain(&s.question_title),
    }
}

fn robot_answer(a: RobotAnswer) -> RobotAnswer {
    RobotAnswer {
        question_id: a.question_id,
        question_title: a.question_title.map(|t| html(&t)),
        answer: a.answer.map(|t| html(&t)),
        gus_list: a.gus_list.into_iter().map(suggestion).collect(),
        relate_list: a.relate_list.into_iter().map(suggestion).collect(),
        third_url: a
            .third_url
            .filter(|u| is_http_url(&u.url))
            .map(|u| ThirdUrl {
                url: u.url.trim().to_owned(),
            }),
    }
}

fn event(mut data: EventData) -> EventData {
    data.content = data.content.map(|c| markup_to_plain(&c));
    data.agent_name = plain_opt(data.agent_name);
    data.agent_avatar = http_url(data.agent_avatar);
    data.survey_options = data.survey_options.map(|s| Box::new(survey(*s)));
    data
}

/// Every text a survey shows, as plain text.
fn survey(mut s: SurveyOptions) -> SurveyOptions {
    s.name = plain_opt(s.name);
    s.title = plain_opt(s.title);
    s.desc = plain_opt(s.desc);
    s.remark = plain_opt(s.remark);
    for option in &mut s.options {
        option.text = plain(&option.text);
    }
    for method in &mut s.methods {
        method.text = plain_opt(method.text.take());
    }
    for style in [&mut s.text, &mut s.expression, &mut s.star]
        .into_iter()
        .flatten()
    {
        for option in &mut style.options {
            option.text = plain(&option.text);
            option.desc = plain_opt(option.desc.take());
            for tag in &mut option.tags {
                *tag = plain(tag);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classic XSS vectors: none may survive with an active part.
    pub const XSS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<img src=\"javascript:alert(1)\">",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<body onload=alert(1)>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<p style=\"color:red;position:fixed;top:0\">x</p>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<form action=\"https://evil.example\"><input type=submit></form>",
        "<object data=\"x.swf\"></object>",
        "<embed src=\"x.swf\">",
        "<link rel=stylesheet href=\"https://evil.example/x.css\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<img src=\"tel:123\">",
        "<details open ontoggle=alert(1)>",
        "\"><script>alert(1)</script>",
        "<scr<script>ipt>alert(1)</script>",
    ];

    fn has_active_part(html: &str) -> bool {
        let lower = html.to_ascii_lowercase();
        [
            "<script",
            "onerror",
            "onload",
            "ontoggle",
            "javascript:",
            "vbscript:",
            "data:",
            "<iframe",
            "<svg",
            "<object",
            "<embed",
            "<link",
            "<meta",
            "<form",
            "<style",
            "position",
            "tel:123",
        ]
        .iter()
        .any(|bad| lower.contains(bad))
    }

    #[test]
    fn the_xss_corpus_comes_out_inert() {
        for attack in XSS {
            let clean = html(attack);
            assert!(!has_active_part(&clean), "{attack} → {clean}");
        }
    }

    /// The cases the widget's DOM pass runs too (`tests/dom.rs`): one policy, one corpus.
    #[test]
    fn the_shared_html_policy_cases_pass() {
        let failures: Vec<String> = policy::cases::CASES
            .iter()
            .filter_map(|case| policy::cases::check(case, &html(case.input)).err())
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn ordinary_rich_text_survives() {
        let clean = html(
            "<p style=\"color: red\"><b>您好</b> <a href=\"https://udesk.cn/x\">帮助</a> \
             <img src=\"https://a.example/p.png\" alt=\"p\"></p>",
        );
        assert!(clean.contains("<b>您好</b>"));
        assert!(clean.contains("href=\"https://udesk.cn/x\""));
        assert!(clean.contains("rel=\"noopener noreferrer nofollow\""));
        assert!(clean.contains("src=\"https://a.example/p.png\""));
        assert!(clean.contains("color:red"));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(is_http_url("https://a.example/x.png"));
        assert!(is_http_url("HTTP://a.example"));
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//a.example/x",
            "/relative",
            "https://",
            "https://a.example/\"onerror=\"x",
            "https://a.example/ x",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn unsafe_media_links_become_a_visible_notice() {
        let c = content(Content::Image(MediaData::url("javascript:alert(1)")));
        match c {
            Content::Text(t) => assert!(t.content.contains("image removed")),
            other => panic!("expected a text, got {other:?}"),
        }
        let c = content(Content::Video(MediaData::url(" https://v.example/a.mp4 ")));
        assert_eq!(c, Content::Video(MediaData::url("https://v.example/a.mp4")));
    }

    #[test]
    fn cards_keep_only_safe_buttons() {
        let text = r###"##UDESK_IM_STRUCT_MSG##{"title":"<b onclick=x>T</b>","img_url":"javascript:x","buttons":[
            {"type":"link","text":"ok","value":"https://a.example"},
            {"type":"link","text":"bad","value":"javascript:alert(1)"},
            {"type":"phone","text":"call","value":"+86 400-000-0000"},
            {"type":"phone","text":"bad","value":"javascript:alert(1)"}]}"###;
        let c =
            content(Content::from_parts("message", serde_json::json!({"content": text})).unwrap());
        let Content::Struct(data) = c else {
            panic!("expected a card")
        };
        let card = &data.cards[0];
        // The widget shows titles as text: the tags (and their handler) are gone.
        assert_eq!(card.title.as_deref(), Some("T"));
        assert_eq!(card.img_url, None);
        let texts: Vec<&str> = card.buttons.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, vec!["ok", "call"]);
    }

    #[test]
    fn robot_answers_and_fonts_are_cleaned() {
        let raw = serde_json::json!({"question_id": 3, "answer": "<img src=x onerror=alert(1)>答",
            "gus_list": ["<script>x</script>q"], "third_url": "javascript:alert(1)"});
        let Content::RobotAnswer(a) = content(Content::from_parts("message", raw).unwrap()) else {
            panic!("expected a robot answer")
        };
        assert!(!has_active_part(a.answer.as_deref().unwrap()));
        assert_eq!(a.gus_list[0].question_title, "q");
        assert_eq!(a.third_url, None);

        let raw =
            serde_json::json!({"font": "x;background:url(javascript:alert(1))", "content": "hi"});
        let Content::Text(t) = content(Content::from_parts("message", raw).unwrap()) else {
            panic!("expected a text")
        };
        assert_eq!(t.font, None);
        assert!(is_safe_css_value("微软雅黑"));
    }

    #[test]
    fn plain_text_reads_as_written_without_markup_or_escapes() {
        // Text without markup is left alone: the widget escapes it and shows it as typed.
        for text in [
            "A & B < C > D",
            "价格 < 100 && 数量 > 2",
            "x<1",
            "&lt;b&gt;",
        ] {
            assert_eq!(text_or_html(text), text);
        }
        // With markup it is cleaned HTML (the widget renders it as HTML).
        assert_eq!(text_or_html("<b>A & B</b>"), "<b>A &amp; B</b>");
        // Fields the widget shows as text lose tags, keep their characters.
        assert_eq!(
            markup_to_plain("<b>Tom &amp; Jerry</b> <i>&lt;3</i>"),
            "Tom & Jerry <3"
        );
        assert_eq!(markup_to_plain("A & B"), "A & B");
        assert_eq!(markup_to_plain("<script>alert(1)</script>ok"), "ok");
        assert_eq!(markup_to_plain("a&nbsp;b &copy;"), "a\u{a0}b ©");
        // Bidi overrides and control characters go; newlines stay.
        assert_eq!(plain("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(plain("a\u{0}b\u{7}\nc\u{2066}d"), "ab\ncd");
    }

    #[test]
    fn text_messages_lose_nul_and_other_control_characters() {
        assert_eq!(text_or_html("a\u{0}b\u{1b}[31mc\r\n\td"), "ab[31mc\r\n\td");
        assert_eq!(text_or_html("<b>a\u{0}b</b>"), "<b>ab</b>");
        let reply = content(Content::text("hi\u{0}there"));
        assert_eq!(reply, Content::text("hithere"));
    }

    #[test]
    fn every_displayed_field_of_a_reply_is_cleaned() {
        let raw = serde_json::json!({
            "message_id": "m1", "agent_name": "小明\u{202E}gpj.exe",
            "agent_avatar": "javascript:alert(1)", "type": "close",
            "data": {"content": "<b>会话已结束</b> & 再见", "agent_name": "<i>x</i>\u{7}",
                     "agent_avatar": "https://a.example/m.png",
                     "survey_options": {"enabled": true, "title": "评价\u{202E}",
                        "options": [{"id": 1, "text": "好\u{0}"}],
                        "show_type": "star", "star": {"options": [{"id": 2, "text": "★\u{202D}",
                            "desc": "d\u{1b}", "tags": ["t\u{2067}"]}]}}}});
        let message: ReplyMessage = udesk_protocol::from_value(raw).unwrap();
        let clean = reply(message);
        assert_eq!(clean.agent_name.as_deref(), Some("小明gpj.exe"));
        assert_eq!(clean.agent_avatar, None);
        let Content::Event(_, data) = clean.content else {
            panic!("expected an event")
        };
        assert_eq!(data.content.as_deref(), Some("会话已结束 & 再见"));
        assert_eq!(
            data.agent_name.as_deref(),
            Some("<i>x</i>"),
            "names are verbatim text"
        );
        assert_eq!(
            data.agent_avatar.as_deref(),
            Some("https://a.example/m.png")
        );
        let survey = data.survey_options.unwrap();
        assert_eq!(survey.title.as_deref(), Some("评价"));
        assert_eq!(survey.options[0].text, "好");
        let star = &survey.star.as_ref().unwrap().options[0];
        assert_eq!((star.text.as_str(), star.desc.as_deref()), ("★", Some("d")));
        assert_eq!(star.tags, ["t"]);

        let file = serde_json::json!({"content": "https://f.example/x", "filename": "invoice\u{202E}fdp.exe"});
        let Content::File(m) = content(Content::from_parts("file", file).unwrap()) else {
            panic!("expected a file")
        };
        assert_eq!(m.filename.as_deref(), Some("invoicefdp.exe"));

        let unknown = serde_json::json!({"content": "<img src=x onerror=alert(1)>hi &amp; bye"});
        let Content::Unknown { data, .. } =
            content(Content::from_parts("new_kind", unknown).unwrap())
        else {
            panic!("expected an unknown kind")
        };
        assert_eq!(data["content"], "hi & bye");

        let raw = serde_json::json!({"question_id": 3, "answer": "a",
            "gus_list": ["退货 &amp; 换货", {"question_title": "<b>运费</b>"}]});
        let Content::RobotAnswer(a) = content(Content::from_parts("message", raw).unwrap()) else {
            panic!("expected a robot answer")
        };
        let titles: Vec<&str> = a
            .gus_list
            .iter()
            .map(|s| s.question_title.as_str())
            .collect();
        assert_eq!(
            titles,
            ["退货 & 换货", "运费"],
            "a clicked suggestion is sent as written"
        );
    }

    #[test]
    fn create_session_answers_are_cleaned_like_replies() {
        let robot: CreateSessionResponse = udesk_protocol::from_value(serde_json::json!({
            "code": 1000, "message": "<img src=x onerror=alert(1)>您好", "assign_type": "robot",
            "assign_info": {"robot_name": "小U\u{202E}", "robot_avatar": "javascript:alert(1)",
                            "welcome_message": "<script>x</script>欢迎 & 你好",
                            "unknow_message": "A & B"}}))
        .unwrap();
        let clean = session_answer(robot);
        assert!(!clean.message.as_deref().unwrap().contains("onerror"));
        let Some(AssignInfo::Robot(r)) = clean.assign_info else {
            panic!("expected the robot")
        };
        assert_eq!(r.robot_name, "小U");
        assert_eq!(r.robot_avatar, None);
        assert_eq!(r.welcome_message.as_deref(), Some("欢迎 &amp; 你好"));
        assert_eq!(r.unknow_message.as_deref(), Some("A & B"));

        let agent: CreateSessionResponse = udesk_protocol::from_value(serde_json::json!({
            "code": 1000, "assign_type": "agent",
            "assign_info": {"im_sub_session_id": 5, "agent_name": "Bob\u{0}",
                "agent_avatar": "data:image/png;base64,AAAA",
                "survey_options": {"enabled": true, "title": "t\u{202E}", "options": []}}}))
        .unwrap();
        let Some(AssignInfo::Agent(a)) = session_answer(agent).assign_info else {
            panic!("expected an agent")
        };
        assert_eq!(a.agent_name.as_deref(), Some("Bob"));
        assert_eq!(a.agent_avatar, None);
        assert_eq!(a.survey_options.unwrap().title.as_deref(), Some("t"));
    }
}
