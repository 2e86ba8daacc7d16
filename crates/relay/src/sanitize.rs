//! Makes every reply safe before it is stored and reaches a browser.
//!
//! The contract with the widget: text-bearing fields (text and rich `content`, a robot answer's
//! `answer` and question titles, a card's `title` and `description`, event `content`) are
//! sanitised HTML fragments, safe to render as HTML. Every URL the widget may load or open
//! (media, `img_url`, avatars, `third_url`, link buttons, `<a href>`, `<img src>`) is http(s)
//! only; a media message with any other URL becomes a text saying it was removed. Names, file
//! names and survey texts are plain text, which the widget escapes.

use ammonia::{Builder, UrlRelative};
use std::collections::HashSet;
use std::sync::LazyLock;
use udesk_protocol::content::{
    ButtonKind, Content, EventData, Font, MediaData, RichData, StructCard, StructData, TextData,
};
use udesk_protocol::robot::{RobotAnswer, Suggestion, ThirdUrl};
use udesk_protocol::ReplyMessage;

/// The HTML allowlist: ammonia's safe defaults (no scripts, no event handlers, no `javascript:`),
/// plus the inline styles and `<font>` that Udesk's rich editor produces.
static HTML: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    b.add_tags(["font"])
        .add_tag_attributes("font", ["color", "size", "face"])
        .add_generic_attributes(["style"])
        .filter_style_properties(HashSet::from([
            "color",
            "background-color",
            "font-weight",
            "font-style",
            "font-size",
            "text-decoration",
            "text-align",
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .attribute_filter(|element, attribute, value| {
            // Images load without a click: only http(s), never mailto:/tel:.
            if element == "img" && attribute == "src" && !is_http_url(value) {
                None
            } else {
                Some(value.into())
            }
        });
    b
});

/// An HTML fragment with everything outside the allowlist removed.
pub fn html(fragment: &str) -> String {
    HTML.clean(fragment).to_string()
}

/// Whether `url` is an absolute http(s) URL with a host and nothing that could break out of an
/// attribute.
pub fn is_http_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let rest = match lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        Some(rest) => rest,
        None => return false,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty()
        && !url.trim().chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
        })
}

fn http_url(url: Option<String>) -> Option<String> {
    url.filter(|u| is_http_url(u)).map(|u| u.trim().to_owned())
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
    message.agent_avatar = http_url(message.agent_avatar);
    message.content = content(message.content);
    message
}

/// The content, safe for any browser.
pub fn content(content: Content) -> Content {
    match content {
        Content::Text(TextData { font: f, content }) => Content::Text(TextData {
            font: font(f),
            content: html(&content),
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
            // The widget shows unknown kinds as text at most; clean the usual text field anyway.
            if let Some(serde_json::Value::String(text)) = data.get_mut("content") {
                *text = html(text);
            }
            Content::Unknown { kind, data }
        }
    }
}

fn media(kind: &str, m: MediaData, wrap: fn(MediaData) -> Content) -> Content {
    if is_http_url(&m.content) {
        wrap(MediaData {
            content: m.content.trim().to_owned(),
            ..m
        })
    } else {
        Content::text(format!("[{kind} removed: its link is not http(s)]"))
    }
}

fn card(card: StructCard) -> StructCard {
    StructCard {
        title: card.title.map(|t| html(&t)),
        description: card.description.map(|d| html(&d)),
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
                b.text = html(&b.text);
                b.value = b.value.trim().to_owned();
                b
            })
            .collect(),
    }
}

fn suggestion(s: Suggestion) -> Suggestion {
    Suggestion {
        question_id: s.question_id,
        question_title: html(&s.question_title),
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
    data.content = data.content.map(|c| html(&c));
    data.agent_avatar = http_url(data.agent_avatar);
    data
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
        assert_eq!(card.title.as_deref(), Some("<b>T</b>"));
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
}
