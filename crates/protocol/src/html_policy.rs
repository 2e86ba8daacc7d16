//! The one HTML allowlist: what message HTML may hold when it reaches a browser.
//!
//! Udesk's rich messages, robot answers and texts with markup are HTML. Two passes apply this
//! policy, and both read it from here:
//! - the relay's sanitiser (`crates/relay/src/sanitize.rs`) builds its ammonia `Builder` from
//!   these lists before a reply is stored;
//! - the widget's DOM pass (`src/safe_html.rs`) applies the same lists to the fragment, parsed
//!   into an inert `<template>`, before it enters the page (defence in depth against a
//!   misconfigured relay or a Udesk feature the relay does not know yet).
//!
//! # The policy
//! - **Elements**: [`ALLOWED_TAGS`] (ammonia 4's defaults, enumerated here, plus `<font>` and
//!   `<tfoot>`) stay.
//!   [`REMOVED_WITH_CONTENT`] go with everything inside them: they run code, embed documents,
//!   post forms, or switch the parser into SVG/MathML (whose tricks, from `<svg onload>` to
//!   namespace-confusion mXSS, go with them). Any other element is unwrapped: its content stays,
//!   the tag goes. Comments go.
//! - **Attributes**: [`GENERIC_ATTRIBUTES`] on any allowed element, [`TAG_ATTRIBUTES`] on their
//!   element; nothing else (no `on…` handlers, `id`, `class`, `name`, `srcdoc`, `formaction`).
//! - **URLs** ([`URL_ATTRIBUTES`]): absolute, with a scheme from [`URL_SCHEMES`]; relative URLs
//!   are refused (they would resolve against the host page). What loads without a click
//!   (`<img src>`) must be an absolute http(s) URL ([`is_http_url`]).
//! - **Inline styles**: only [`STYLE_PROPERTIES`] (what Udesk's rich editor writes: colours,
//!   weight, style, size, decoration, alignment), each with a value that passes
//!   [`is_safe_style_value`] (keywords, lengths, numbers, `#hex`, `rgb()`/`hsl()`; never `url()`,
//!   `expression()`, escapes, comments or quotes). `!important` is dropped.
//! - **Links** get `target=_blank` and `rel=`[`LINK_REL`] (no access to the host page through
//!   `window.opener`, no referrer, no SEO credit).
//!
//! Where the two passes differ, it is in how they read the input, not in what they keep: the relay
//! parses HTML and CSS itself (html5ever as a `<div>`'s content with scripting on; cssparser, and
//! [`filter_style`] before it), the widget lets the browser parse (as a `<template>`'s content,
//! scripting off) and then reads each allowed style property from the element's
//! `CSSStyleDeclaration` (so a shorthand such as `background: red` may yield an allowed
//! `background-color`). The widget also adds `loading=lazy` to images. [`cases::CASES`] holds the
//! inputs and expectations both sides are tested with; add a case there when the policy changes.

pub mod cases;

/// Elements kept (with their allowed attributes): ammonia 4's default set, plus `<font>`, which
/// Udesk's rich editor writes, and `<tfoot>` (ammonia lists its attributes but not the tag).
pub const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "area",
    "article",
    "aside",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "map",
    "mark",
    "nav",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "rtc",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Elements removed together with their content: they run code (`script`), style the page
/// (`style`, `link`), embed or frame documents, post forms, change the document (`base`, `meta`),
/// hold unparsed text (`xmp`, `noembed`, …), or open SVG/MathML content.
pub const REMOVED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "svg",
    "math",
    "iframe",
    "frame",
    "frameset",
    "fencedframe",
    "portal",
    "object",
    "embed",
    "applet",
    "link",
    "meta",
    "base",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "template",
    "noscript",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
    "title",
];

/// Attributes allowed on every allowed element (`style` is then filtered, see
/// [`filter_style`]).
pub const GENERIC_ATTRIBUTES: &[&str] = &["lang", "title", "style"];

/// Attributes allowed on one element: ammonia 4's defaults, plus `<font color size face>`.
pub const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "hreflang"]),
    ("bdo", &["dir"]),
    ("blockquote", &["cite"]),
    ("col", &["align", "char", "charoff", "span"]),
    ("colgroup", &["align", "char", "charoff", "span"]),
    ("del", &["cite", "datetime"]),
    ("font", &["color", "size", "face"]),
    ("hr", &["align", "size", "width"]),
    ("img", &["align", "alt", "height", "src", "width"]),
    ("ins", &["cite", "datetime"]),
    ("ol", &["start"]),
    ("q", &["cite"]),
    ("table", &["align", "char", "charoff", "summary"]),
    ("tbody", &["align", "char", "charoff"]),
    (
        "td",
        &["align", "char", "charoff", "colspan", "headers", "rowspan"],
    ),
    ("tfoot", &["align", "char", "charoff"]),
    (
        "th",
        &[
            "align", "char", "charoff", "colspan", "headers", "rowspan", "scope",
        ],
    ),
    ("thead", &["align", "char", "charoff"]),
    ("tr", &["align", "char", "charoff"]),
];

/// Allowed attributes whose value is a URL, checked by [`is_allowed_url`].
pub const URL_ATTRIBUTES: &[&str] = &["href", "src", "cite"];

/// The schemes a URL attribute may use (links: web pages, e-mail, phone numbers).
pub const URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// Inline style properties kept (with a value [`is_safe_style_value`] accepts).
pub const STYLE_PROPERTIES: &[&str] = &[
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "text-decoration",
    "text-align",
];

/// CSS functions a style value may call: colours only.
const STYLE_FUNCTIONS: &[&str] = &["rgb", "rgba", "hsl", "hsla"];

/// The `rel` every link gets.
pub const LINK_REL: &str = "noopener noreferrer nofollow";

/// The `target` every link gets: a link never replaces the page the widget is embedded in.
pub const LINK_TARGET: &str = "_blank";

/// Whether an element stays (names are compared in lowercase, as HTML parsers report them).
pub fn is_allowed_tag(tag: &str) -> bool {
    ALLOWED_TAGS.contains(&tag)
}

/// Whether an element goes with everything inside it.
pub fn is_removed_with_content(tag: &str) -> bool {
    REMOVED_WITH_CONTENT.contains(&tag)
}

/// Whether `attribute` may stay on an allowed `tag` (its value is checked by
/// [`attribute_value`]).
pub fn is_allowed_attribute(tag: &str, attribute: &str) -> bool {
    GENERIC_ATTRIBUTES.contains(&attribute)
        || TAG_ATTRIBUTES
            .iter()
            .any(|(t, attributes)| *t == tag && attributes.contains(&attribute))
}

/// The value an allowed attribute keeps: URLs checked ([`is_allowed_url`]), styles filtered
/// ([`filter_style`], `None` when nothing is left), anything else as it is.
pub fn attribute_value<'v>(
    tag: &str,
    attribute: &str,
    value: &'v str,
) -> Option<std::borrow::Cow<'v, str>> {
    if URL_ATTRIBUTES.contains(&attribute) {
        is_allowed_url(tag, attribute, value).then_some(value.into())
    } else if attribute == "style" {
        Some(filter_style(value))
            .filter(|s| !s.is_empty())
            .map(Into::into)
    } else {
        Some(value.into())
    }
}

/// The scheme of a URL, lowercased, as a browser reads it (whitespace and control characters
/// ignored, `java\tscript:` is `javascript`); `None` for a relative URL (no colon before the
/// first `/`, `?` or `#`).
pub fn url_scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    (!scheme.contains(['/', '?', '#'])).then(|| scheme.to_ascii_lowercase())
}

/// Whether a URL attribute's value may stay: an absolute URL with a scheme from [`URL_SCHEMES`];
/// for `<img src>`, which loads without a click, an absolute http(s) URL only.
pub fn is_allowed_url(tag: &str, attribute: &str, url: &str) -> bool {
    if tag == "img" && attribute == "src" {
        return is_http_url(url);
    }
    url_scheme(url).is_some_and(|scheme| URL_SCHEMES.contains(&scheme.as_str()))
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

/// Whether an inline style value may stay: at most 100 characters of letters, digits, spaces
/// and `# . , % + -`, with parentheses only around the arguments of `rgb()`, `rgba()`, `hsl()`
/// or `hsla()`. Nothing that loads (`url()`, `image-set()`), runs (`expression()`), escapes
/// (`\`), comments, quotes or ends a declaration passes.
pub fn is_safe_style_value(value: &str) -> bool {
    let value = value.trim();
    if value.is_empty()
        || value.len() > 100
        || !value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, ' ' | '#' | '.' | ',' | '%' | '+' | '-' | '(' | ')')
        })
    {
        return false;
    }
    // Every `(` opens an allowed colour function, and parentheses do not nest.
    let mut open = false;
    for (at, c) in value.char_indices() {
        match c {
            '(' => {
                let name_start = value[..at]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .map_or(0, |i| i + 1);
                let name = value[name_start..at].to_ascii_lowercase();
                if open || !STYLE_FUNCTIONS.contains(&name.as_str()) {
                    return false;
                }
                open = true;
            }
            ')' if !open => return false,
            ')' => open = false,
            _ => {}
        }
    }
    !open
}

/// An inline style with only the allowed properties and safe values, as `name:value;…`
/// (lowercase names, `!important` dropped); empty when nothing is left.
///
/// Declarations are split at `;`: a split inside a quoted string or a comment only ever yields
/// pieces that fail the checks, so what is kept is safe whatever the input's shape.
pub fn filter_style(style: &str) -> String {
    let mut kept = Vec::new();
    for declaration in style.split(';') {
        let Some((name, value)) = declaration.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        let value = strip_important(value);
        if STYLE_PROPERTIES.contains(&name.as_str()) && is_safe_style_value(value) {
            kept.push(format!("{name}:{value}"));
        }
    }
    kept.join(";")
}

/// A style value without a trailing `!important`.
fn strip_important(value: &str) -> &str {
    let Some(bang) = value.rfind('!') else {
        return value;
    };
    if value[bang + 1..].trim().eq_ignore_ascii_case("important") {
        value[..bang].trim_end()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_and_removed_elements_do_not_overlap() {
        for tag in REMOVED_WITH_CONTENT {
            assert!(!is_allowed_tag(tag), "{tag}");
        }
        for (tag, _) in TAG_ATTRIBUTES {
            assert!(is_allowed_tag(tag), "{tag}");
        }
    }

    #[test]
    fn attributes_are_allowed_per_element() {
        assert!(is_allowed_attribute("a", "href"));
        assert!(is_allowed_attribute("span", "style"));
        assert!(is_allowed_attribute("font", "color"));
        assert!(!is_allowed_attribute("span", "href"));
        for attribute in [
            "onerror",
            "onclick",
            "srcdoc",
            "formaction",
            "id",
            "class",
            "name",
        ] {
            assert!(!is_allowed_attribute("img", attribute), "{attribute}");
        }
    }

    #[test]
    fn urls_need_an_allowed_scheme_and_images_http() {
        for url in [
            "https://example.com/a",
            "HTTP://x.example",
            "mailto:a@b.c",
            "tel:+8613800000000",
        ] {
            assert!(is_allowed_url("a", "href", url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            " JaVa\tscript:alert(1)",
            "java\u{0}script:alert(1)",
            "vbscript:msgbox",
            "data:text/html,<script>alert(1)</script>",
            "/relative",
            "page.html?x=a:b",
            "#anchor",
        ] {
            assert!(!is_allowed_url("a", "href", url), "{url:?}");
        }
        assert!(is_allowed_url("img", "src", "https://a.example/p.png"));
        for url in [
            "mailto:a@b.c",
            "tel:1",
            "data:image/png;base64,AAAA",
            "https://",
        ] {
            assert!(!is_allowed_url("img", "src", url), "{url}");
        }
        assert_eq!(url_scheme("page.html?x=a:b"), None);
        assert_eq!(url_scheme(" Java\nScript:x").as_deref(), Some("javascript"));
    }

    #[test]
    fn style_values_are_plain_css_values() {
        for value in [
            "red",
            "#ff0000",
            "rgb(255, 0, 0)",
            "RGBA(0,0,0,.5)",
            "14px",
            "1.2em",
            "bold",
            "underline",
            "center",
        ] {
            assert!(is_safe_style_value(value), "{value}");
        }
        for value in [
            "",
            "url(javascript:alert(1))",
            "url(\"https://a.example/x.png\")",
            "expression(alert(1))",
            "rgb(expression(1))",
            "calc(100% - 1px)",
            "red;position:fixed",
            "red/**/",
            "\\72 ed",
            "\"red\"",
            "rgb(1,2,3",
            "1)",
        ] {
            assert!(!is_safe_style_value(value), "{value}");
        }
    }

    #[test]
    fn styles_keep_only_allowed_properties_with_safe_values() {
        assert_eq!(
            filter_style("color: red; position: fixed; top: 0; FONT-WEIGHT: bold !important"),
            "color:red;font-weight:bold"
        );
        assert_eq!(filter_style("background:url(javascript:alert(1))"), "");
        assert_eq!(
            filter_style("background-color: url(x); color: blue"),
            "color:blue"
        );
        assert_eq!(filter_style("color:red;/*;*/position:fixed"), "color:red");
        assert_eq!(
            filter_style("content:\"a;color:green;b\""),
            "color:green",
            "pieces of a quoted string are checked like any declaration"
        );
        assert_eq!(filter_style("width: expression(alert(1))"), "");
    }

    #[test]
    fn attribute_values_are_checked_by_kind() {
        assert_eq!(attribute_value("a", "href", "javascript:x"), None);
        assert_eq!(
            attribute_value("a", "href", "https://a.example").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(attribute_value("q", "cite", "javascript:x"), None);
        assert_eq!(attribute_value("p", "style", "position:fixed"), None);
        assert_eq!(
            attribute_value("p", "style", "color: red").as_deref(),
            Some("color:red")
        );
        assert_eq!(
            attribute_value("font", "face", "Arial").as_deref(),
            Some("Arial")
        );
    }
}
