//! Keeping message HTML inert.
//!
//! The relay sanitises rich messages with an allowlist before they reach a browser; the widget
//! still never lets a message run script (defence in depth against a misconfigured relay or a
//! real Udesk sending something new). HTML is parsed into an inert `<template>`, where scripts
//! do not run and nothing loads; a small pass removes elements that can execute or navigate the
//! page, every `on…` attribute and every URL that is not http(s)/mailto/tel; only then is the
//! fragment moved into the message bubble. Links open in a new tab with `rel="noopener"`.
//!
//! The rules are pure functions, tested on the host; the DOM walk is wasm-only.

/// Elements removed with their content: they run code, embed other documents or change the page.
pub const BLOCKED_TAGS: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "meta",
    "base", "form", "input", "button", "textarea", "select", "template", "noscript",
];

/// Attributes that hold a URL.
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "xlink:href",
    "action",
    "formaction",
    "poster",
];

/// Whether an attribute may stay on an element (its value is checked separately for URLs).
pub fn is_allowed_attribute(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    !(name.starts_with("on")
        || name == "style"
        || name == "srcdoc"
        || name == "srcset"
        || name.starts_with("formaction")
        || name == "http-equiv")
}

/// Whether `name` is an attribute that holds a URL.
pub fn is_url_attribute(name: &str) -> bool {
    URL_ATTRS.contains(&name.trim().to_ascii_lowercase().as_str())
}

/// Whether a URL may be followed or loaded: http(s), mailto, tel, or relative. Browsers ignore
/// whitespace and control characters inside a scheme (`java\tscript:`), so they are ignored here
/// too before the scheme is read.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    match lower.find(':') {
        // A colon after the first `/`, `?` or `#` is part of a path, not a scheme.
        Some(colon) if !lower[..colon].contains(['/', '?', '#']) => {
            matches!(&lower[..colon], "http" | "https" | "mailto" | "tel")
        }
        _ => true,
    }
}

/// Whether a URL is fit for a link button or a "read more" link: absolute http(s) only.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && is_safe_url(url)
}

/// A `tel:` link for a card's phone button: digits, `+`, `-`, `*`, `#`, `,`, `;` kept, anything
/// else dropped; `None` when no digit is left.
pub fn tel_href(number: &str) -> Option<String> {
    let mut number = number.trim();
    while let Some(rest) = number.strip_prefix("tel:") {
        number = rest;
    }
    let kept: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '*' | '#' | ',' | ';'))
        .collect();
    kept.chars()
        .any(|c| c.is_ascii_digit())
        .then(|| format!("tel:{kept}"))
}

/// Text of an HTML fragment without its tags, for previews and the live region (not for
/// display as HTML).
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    // The entities HTML text most often has, in one pass (`&amp;lt;` is the text `&lt;`).
    const ENTITIES: [(&str, char); 6] = [
        ("&nbsp;", ' '),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&#39;", '\''),
        ("&amp;", '&'),
    ];
    let mut decoded = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
            Some((entity, c)) => {
                decoded.push(*c);
                rest = &rest[entity.len()..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses `html` inertly, cleans it and puts it into `container` (replacing its children).
#[cfg(target_arch = "wasm32")]
pub fn render_into(container: &web_sys::Element, html: &str) {
    use wasm_bindgen::JsCast;

    let Some(document) = container.owner_document() else {
        return;
    };
    let Ok(template) = document.create_element("template") else {
        return;
    };
    let template: web_sys::HtmlTemplateElement = template.unchecked_into();
    template.set_inner_html(html);
    let content = template.content();
    if let Ok(elements) = content.query_selector_all("*") {
        for i in 0..elements.length() {
            let Some(element) = elements
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            let tag = element.tag_name().to_ascii_lowercase();
            if BLOCKED_TAGS.contains(&tag.as_str()) {
                element.remove();
                continue;
            }
            clean_attributes(&element);
            if tag == "a" {
                let _ = element.set_attribute("target", "_blank");
                let _ = element.set_attribute("rel", "noopener noreferrer");
            }
            if tag == "img" {
                let _ = element.set_attribute("loading", "lazy");
            }
        }
    }
    container.set_inner_html("");
    let _ = container.append_child(&content);
}

#[cfg(target_arch = "wasm32")]
fn clean_attributes(element: &web_sys::Element) {
    let names = element.get_attribute_names();
    for name in names.iter() {
        let Some(name) = name.as_string() else {
            continue;
        };
        let keep = is_allowed_attribute(&name)
            && (!is_url_attribute(&name)
                || element
                    .get_attribute(&name)
                    .is_some_and(|value| is_safe_url(&value)));
        if !keep {
            let _ = element.remove_attribute(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_handlers_and_inline_styles_are_not_allowed() {
        for name in [
            "onerror",
            "ONLOAD",
            " onclick",
            "style",
            "srcdoc",
            "formaction",
        ] {
            assert!(!is_allowed_attribute(name), "{name}");
        }
        for name in ["href", "src", "alt", "title", "class", "width"] {
            assert!(is_allowed_attribute(name), "{name}");
        }
    }

    #[test]
    fn only_harmless_url_schemes_pass() {
        for url in [
            "https://example.com/a.png",
            "http://x",
            "mailto:a@b.c",
            "tel:+8613800000000",
            "/relative/path",
            "page.html?x=a:b",
            "#anchor",
        ] {
            assert!(is_safe_url(url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " java\tscript:alert(1)",
            "java\u{0}script:alert(1)",
            "vbscript:msgbox",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
        ] {
            assert!(!is_safe_url(url), "{url:?}");
        }
    }

    #[test]
    fn link_buttons_need_absolute_web_urls() {
        assert!(is_web_url("https://shop.example/item/1"));
        assert!(!is_web_url("/relative"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("mailto:a@b.c"));
    }

    #[test]
    fn phone_buttons_become_tel_links() {
        assert_eq!(
            tel_href("400-800-1234").as_deref(),
            Some("tel:400-800-1234")
        );
        assert_eq!(
            tel_href("+86 138 0000 0000").as_deref(),
            Some("tel:+8613800000000")
        );
        assert_eq!(tel_href("tel:10086").as_deref(), Some("tel:10086"));
        assert_eq!(tel_href("call us").as_deref(), None);
        assert_eq!(tel_href("1\"><script>").as_deref(), Some("tel:1"));
    }

    #[test]
    fn tags_are_stripped_for_previews() {
        assert_eq!(strip_tags("<p>退货<b>7</b>天</p>"), "退货 7 天");
        assert_eq!(strip_tags("a &lt;b&gt; &amp; c"), "a <b> & c");
        assert_eq!(
            strip_tags("&amp;lt; &&lt; &copy;&nbsp;x"),
            "&lt; &< &copy; x"
        );
        assert_eq!(strip_tags("  plain  text "), "plain text");
    }
}
