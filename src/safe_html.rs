//! Keeping message HTML inert.
//!
//! The relay sanitises message HTML before it reaches a browser; the widget cleans it again with
//! the **same allowlist**, [`udesk_protocol::html_policy`] (defence in depth against a
//! misconfigured relay or a real Udesk sending something new). HTML is parsed into an inert
//! `<template>`, where scripts do not run and nothing loads; [`render_into`] then walks the
//! fragment: allowed elements keep their allowed attributes (URLs checked, inline styles reduced to
//! the allowed properties with safe values, read from the browser's own parse of the style);
//! elements the policy removes with their content go; any other element is unwrapped; elements
//! outside the HTML namespace (SVG, MathML) and comments go. Only then is the fragment moved into
//! the message bubble. Links open in a new tab with the policy's `rel`; images load lazily.
//!
//! The URL rules are pure functions, tested on the host; the DOM walk is wasm-only and tested in
//! Chromium with the policy's shared cases (`tests/dom.rs`).

#[cfg(target_arch = "wasm32")]
use udesk_protocol::html_policy as policy;
use udesk_protocol::html_policy::{url_scheme, URL_SCHEMES};

/// Whether a URL may be followed or loaded: http(s), mailto, tel, or relative. Browsers ignore
/// whitespace and control characters inside a scheme (`java\tscript:`), so they are ignored here
/// too before the scheme is read ([`url_scheme`]). Message HTML is stricter (no relative URLs):
/// see [`udesk_protocol::html_policy::is_allowed_url`].
pub fn is_safe_url(url: &str) -> bool {
    url_scheme(url).is_none_or(|scheme| URL_SCHEMES.contains(&scheme.as_str()))
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

/// Parses `html` inertly, cleans it by the policy and puts it into `container` (replacing its
/// children).
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
    clean_tree(&content);
    container.set_inner_html("");
    let _ = container.append_child(&content);
}

/// Walks `root`'s descendants in document order, without recursion (nesting depth is the
/// sender's choice): each node is kept, removed with its content, or unwrapped.
#[cfg(target_arch = "wasm32")]
fn clean_tree(root: &web_sys::Node) {
    use wasm_bindgen::JsCast;
    use web_sys::Node;

    let mut next = root.first_child();
    while let Some(node) = next {
        let after = next_outside(&node, root);
        next = match node.node_type() {
            Node::TEXT_NODE => after,
            Node::ELEMENT_NODE => {
                let element: &web_sys::Element = node.unchecked_ref();
                match verdict(element) {
                    Verdict::Keep(tag) => {
                        clean_attributes(element, &tag);
                        node.first_child().or(after)
                    }
                    Verdict::Unwrap => {
                        let first = node.first_child();
                        if let Some(parent) = node.parent_node() {
                            while let Some(child) = node.first_child() {
                                // Never expected to fail; if it did, the rest goes with the tag.
                                if parent.insert_before(&child, Some(&node)).is_err() {
                                    break;
                                }
                            }
                        }
                        element.remove();
                        first.or(after)
                    }
                    Verdict::Remove => {
                        element.remove();
                        after
                    }
                }
            }
            // Comments, processing instructions: nothing to show.
            _ => {
                if let Some(parent) = node.parent_node() {
                    let _ = parent.remove_child(&node);
                }
                after
            }
        };
    }
}

/// The node after `node` and its descendants in document order, staying inside `root`.
#[cfg(target_arch = "wasm32")]
fn next_outside(node: &web_sys::Node, root: &web_sys::Node) -> Option<web_sys::Node> {
    let mut current = node.clone();
    loop {
        if let Some(sibling) = current.next_sibling() {
            return Some(sibling);
        }
        let parent = current.parent_node()?;
        if parent.is_same_node(Some(root)) {
            return None;
        }
        current = parent;
    }
}

/// What becomes of an element.
#[cfg(target_arch = "wasm32")]
enum Verdict {
    /// Allowed: it stays, its attributes are cleaned (the lowercase tag name).
    Keep(String),
    /// Not allowed, harmless content: the tag goes, its children stay.
    Unwrap,
    /// Dangerous, or outside the HTML namespace: it goes with everything inside.
    Remove,
}

#[cfg(target_arch = "wasm32")]
fn verdict(element: &web_sys::Element) -> Verdict {
    const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";
    if element.namespace_uri().as_deref() != Some(HTML_NAMESPACE) {
        return Verdict::Remove;
    }
    let tag = element.local_name().to_ascii_lowercase();
    if policy::is_allowed_tag(&tag) {
        Verdict::Keep(tag)
    } else if policy::is_removed_with_content(&tag) {
        Verdict::Remove
    } else {
        Verdict::Unwrap
    }
}

/// Removes the attributes the policy does not allow on `tag`, and those whose value fails its
/// check; reduces `style` to the allowed properties; sets the links' `target` and `rel`.
#[cfg(target_arch = "wasm32")]
fn clean_attributes(element: &web_sys::Element, tag: &str) {
    let names = element.get_attribute_names();
    for name in names.iter() {
        let Some(name) = name.as_string() else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        let keep = if !policy::is_allowed_attribute(tag, &name) {
            false
        } else if name == "style" {
            // Filtered through the browser's own parse of the style, not the policy's string
            // filter: what is kept is what the browser would apply.
            clean_style(element);
            true
        } else {
            element
                .get_attribute(&name)
                .is_some_and(|value| policy::attribute_value(tag, &name, &value).is_some())
        };
        if !keep {
            let _ = element.remove_attribute(&name);
        }
    }
    if tag == "a" {
        let _ = element.set_attribute("target", policy::LINK_TARGET);
        let _ = element.set_attribute("rel", policy::LINK_REL);
    }
    if tag == "img" {
        // The widget's own addition: pictures far up the transcript load when scrolled to.
        let _ = element.set_attribute("loading", "lazy");
    }
}

/// Rewrites the element's `style` as `property:value;…` with only the allowed properties, as the
/// browser parsed them, whose values pass the policy's check; removes it when none is left.
#[cfg(target_arch = "wasm32")]
fn clean_style(element: &web_sys::Element) {
    use wasm_bindgen::JsCast;

    let kept = element
        .dyn_ref::<web_sys::HtmlElement>()
        .map(|html| {
            let style = html.style();
            policy::STYLE_PROPERTIES
                .iter()
                .filter_map(|property| {
                    let value = style.get_property_value(property).ok()?;
                    policy::is_safe_style_value(&value)
                        .then(|| [property, ":", value.trim()].concat())
                })
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default();
    if kept.is_empty() {
        let _ = element.remove_attribute("style");
    } else {
        let _ = element.set_attribute("style", &kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
