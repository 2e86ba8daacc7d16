//! The test cases both sides of the HTML policy run: the relay's sanitiser (a unit test in
//! `crates/relay/src/sanitize.rs`) and the widget's DOM pass (`tests/dom.rs`, in Chromium).
//!
//! Each case names what must be in the cleaned HTML and what must not, as substrings of the
//! output after [`normalise`], so that the two serialisers (html5ever's and the browser's) may
//! differ in attribute order and spacing without failing a case.

/// One input and what its cleaned form must and must not hold.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// What the case is about, for failure messages.
    pub name: &'static str,
    /// Message HTML as Udesk (or an attacker with the webhook secret) might send it.
    pub input: &'static str,
    /// Substrings (lowercase) the output must contain, compared after [`normalise`] on both.
    pub kept: &'static [&'static str],
    /// Substrings (lowercase) the output must not contain, compared after [`normalise`] on both.
    pub removed: &'static [&'static str],
}

/// The output as the cases compare it: lowercase, without the spaces a serialiser may put after
/// `:` and `;` (`color: red;` and `color:red` both read `color:red`).
pub fn normalise(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut after_separator = false;
    for c in html.chars() {
        if after_separator && c.is_ascii_whitespace() {
            continue;
        }
        after_separator = matches!(c, ':' | ';');
        out.extend(c.to_lowercase());
    }
    out
}

/// Checks a cleaned output against its case: `Err` says what is wrong.
pub fn check(case: &Case, output: &str) -> Result<(), String> {
    let normalised = normalise(output);
    let missing: Vec<&str> = case
        .kept
        .iter()
        .copied()
        .filter(|s| !normalised.contains(&normalise(s)))
        .collect();
    let present: Vec<&str> = case
        .removed
        .iter()
        .copied()
        .filter(|s| normalised.contains(&normalise(s)))
        .collect();
    if missing.is_empty() && present.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {:?} → {:?}: missing {missing:?}, still there {present:?}",
            case.name, case.input, output
        ))
    }
}

/// The cases.
pub const CASES: &[Case] = &[
    Case {
        name: "ordinary rich text survives",
        input: "<p><b>您好</b> <i>欢迎</i> <u>光临</u></p><ul><li>退货</li></ul>",
        kept: &["<p><b>您好</b> <i>欢迎</i> <u>光临</u></p>", "<ul><li>退货</li></ul>"],
        removed: &[],
    },
    Case {
        name: "an allowed inline colour stays, positioning goes",
        input: "<p style=\"color: red; position: fixed; top: 0; left: 0\">x</p>",
        kept: &["<p style=\"color:red", ">x</p>"],
        removed: &["position", "top", "left"],
    },
    Case {
        name: "the rich editor's styles stay",
        input: "<span style=\"font-weight: bold; font-style: italic; text-decoration: underline; \
                text-align: center; font-size: 14px; background-color: yellow\">t</span>",
        kept: &[
            "font-weight:bold",
            "font-style:italic",
            "text-decoration:underline",
            "text-align:center",
            "font-size:14px",
            "background-color:yellow",
        ],
        removed: &[],
    },
    Case {
        name: "a background image with a javascript: URL goes, the colour stays",
        input: "<span style=\"background: url(javascript:alert(1)); color: blue\">t</span>",
        kept: &["color:blue", ">t</span>"],
        removed: &["url(", "javascript", "background:"],
    },
    Case {
        name: "an expression() goes",
        input: "<div style=\"width: expression(alert(1)); color: green\">t</div>",
        kept: &["color:green", ">t</div>"],
        removed: &["expression", "width", "alert"],
    },
    Case {
        name: "a comment cannot smuggle a declaration past the filter",
        input: "<b style=\"color:red;/*;*/position:fixed\">t</b>",
        kept: &["color:red", ">t</b>"],
        removed: &["position", "/*"],
    },
    Case {
        name: "a link cannot cover the page",
        input: "<a href=\"https://a.example/\" style=\"position:absolute;top:0;left:0;\
                width:100%;height:100%;z-index:9\">win</a>",
        kept: &["href=\"https://a.example/\"", ">win</a>"],
        removed: &["position", "width", "height", "z-index"],
    },
    Case {
        name: "font tags keep colour, size and face",
        input: "<font color=\"red\" size=\"4\" face=\"Arial\" onclick=\"alert(1)\">t</font>",
        kept: &["<font", "color=\"red\"", "size=\"4\"", "face=\"arial\"", ">t</font>"],
        removed: &["onclick", "alert"],
    },
    Case {
        name: "links open in a new tab without the opener",
        input: "<a href=\"https://udesk.cn/x\" title=\"帮助\" target=\"_self\" rel=\"opener\">帮助</a>",
        kept: &[
            "href=\"https://udesk.cn/x\"",
            "title=\"帮助\"",
            "target=\"_blank\"",
            "rel=\"noopener noreferrer nofollow\"",
        ],
        removed: &["_self", "\"opener\""],
    },
    Case {
        name: "mail and phone links stay",
        input: "<a href=\"mailto:help@udesk.cn\">m</a> <a href=\"tel:+864008001234\">t</a>",
        kept: &["href=\"mailto:help@udesk.cn\"", "href=\"tel:+864008001234\""],
        removed: &[],
    },
    Case {
        name: "javascript: URLs in href go, however written",
        input: "<a href=\"javascript:alert(1)\">a</a><a href=\" JaVa&#09;script:alert(1)\">b</a>\
                <a href=\"JAVASCRIPT:alert(1)\">c</a><q cite=\"javascript:alert(1)\">d</q>",
        kept: &[">a</a>", ">b</a>", ">c</a>", ">d</q>"],
        removed: &["javascript", "script:", "href=", "cite="],
    },
    Case {
        name: "other dangerous schemes go",
        input: "<a href=\"vbscript:msgbox(1)\">a</a>\
                <a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">b</a>\
                <a href=\"file:///etc/passwd\">c</a>",
        kept: &[">a</a>", ">b</a>", ">c</a>"],
        removed: &["vbscript", "data:", "file:", "href="],
    },
    Case {
        name: "relative URLs go (they would resolve against the host page)",
        input: "<a href=\"/account/delete\">a</a><a href=\"//evil.example/x\">b</a>",
        kept: &[">a</a>", ">b</a>"],
        removed: &["href=", "account", "evil"],
    },
    Case {
        name: "images load from http(s) only, without handlers",
        input: "<img src=\"https://a.example/p.png\" alt=\"p\" onerror=\"alert(1)\">\
                <img src=\"javascript:alert(1)\"><img src=\"data:image/png;base64,AAAA\">\
                <img src=\"mailto:a@b.c\"><img src=\"x\" onerror=\"alert(2)\">",
        kept: &["src=\"https://a.example/p.png\"", "alt=\"p\""],
        removed: &["onerror", "alert", "javascript", "data:", "mailto", "src=\"x\""],
    },
    Case {
        name: "event handlers go from every element",
        input: "<details open ontoggle=\"alert(1)\"><summary onclick=\"alert(2)\">s</summary>d\
                </details><p onmouseover=\"alert(3)\">p</p>",
        kept: &["<details", "<summary>s</summary>", "<p>p</p>"],
        removed: &["ontoggle", "onclick", "onmouseover", "alert"],
    },
    Case {
        name: "scripts and style sheets go with their content",
        input: "<script>alert(1)</script><style>p{color:red}</style><p>x</p>",
        kept: &["<p>x</p>"],
        removed: &["<script", "<style", "alert", "p{"],
    },
    Case {
        name: "SVG goes with its content",
        input: "<svg onload=\"alert(1)\"><a href=\"javascript:alert(2)\"><text>t</text></a>\
                <script>alert(3)</script><animate attributeName=\"href\" values=\"javascript:alert(4)\"/>\
                </svg><p>after</p>",
        kept: &["<p>after</p>"],
        removed: &["<svg", "onload", "javascript", "<script", "<a", "animate", "alert"],
    },
    Case {
        name: "a foreignObject cannot bring HTML back out of SVG",
        input: "<svg><foreignObject><iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>\
                <img src=\"x\" onerror=\"alert(2)\"></foreignObject></svg>ok",
        kept: &["ok"],
        removed: &["<svg", "foreignobject", "<iframe", "srcdoc", "<img", "onerror", "alert"],
    },
    Case {
        name: "MathML namespace confusion goes",
        input: "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        kept: &[],
        removed: &["<math", "<mtext", "<mglyph", "<style", "<img", "onerror", "alert"],
    },
    Case {
        name: "noscript cannot hide markup from one parser",
        input: "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        // A parser with scripting on (html5ever) reads the `<img>` as markup, one with scripting
        // off (the inert template) as an attribute: either way nothing active is left.
        kept: &[],
        removed: &["<noscript", "onerror", "alert", "src="],
    },
    Case {
        name: "frames with srcdoc and form actions go",
        input: "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>\
                <button formaction=\"javascript:alert(2)\">go</button>\
                <form action=\"https://evil.example\"><input type=\"submit\" formaction=\"javascript:alert(3)\">\
                </form><p>after</p>",
        kept: &["<p>after</p>"],
        removed: &[
            "<iframe", "srcdoc", "<button", "formaction", "<form", "<input", "action=", "javascript",
            "alert", "evil",
        ],
    },
    Case {
        name: "embedded objects and document changes go",
        input: "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">\
                <link rel=\"stylesheet\" href=\"https://evil.example/x.css\">\
                <base href=\"https://evil.example/\"><object data=\"x.swf\"></object>\
                <embed src=\"x.swf\"><p>t</p>",
        kept: &["<p>t</p>"],
        removed: &["<meta", "<link", "<base", "<object", "<embed", "http-equiv", "evil", "swf"],
    },
    Case {
        name: "unknown elements are unwrapped, their text kept",
        input: "<blink>keep</blink> <custom-card data-x=\"1\">this</custom-card> <marquee>too</marquee>",
        kept: &["keep", "this", "too"],
        removed: &["<blink", "<custom-card", "<marquee", "data-x"],
    },
    Case {
        name: "ids, classes and names go (no DOM clobbering, no borrowed styles)",
        input: "<p id=\"udesk-root\" class=\"udesk-panel\" name=\"config\">t</p>",
        kept: &["<p>t</p>"],
        removed: &["id=", "class=", "name="],
    },
    Case {
        name: "tables keep their structure",
        input: "<table><thead><tr><th scope=\"col\">h</th></tr></thead><tbody><tr>\
                <td colspan=\"2\" onclick=\"alert(1)\">c</td></tr></tbody></table>",
        kept: &["<table>", "<th scope=\"col\">h</th>", "<td colspan=\"2\">c</td>"],
        removed: &["onclick"],
    },
    Case {
        name: "comments go",
        input: "<!-- internal note --><b>x</b>",
        kept: &["<b>x</b>"],
        removed: &["<!--", "internal"],
    },
    Case {
        name: "text stays text",
        input: "<p>A &amp; B &lt;b&gt; 3 &gt; 2</p>",
        kept: &["<p>a &amp; b &lt;b&gt; 3 &gt; 2</p>"],
        removed: &["<b>"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_ignores_spacing_after_separators_and_case() {
        assert_eq!(
            normalise("<P Style=\"color: Red; font-weight:  bold;\">A B</P>"),
            "<p style=\"color:red;font-weight:bold;\">a b</p>"
        );
    }

    #[test]
    fn a_check_names_what_is_missing_and_what_survived() {
        let case = Case {
            name: "n",
            input: "i",
            kept: &["<b>"],
            removed: &["onclick"],
        };
        assert!(check(&case, "<b>x</b>").is_ok());
        let err = check(&case, "<i onclick=x>").unwrap_err();
        assert!(err.contains("missing [\"<b>\"]") && err.contains("still there [\"onclick\"]"));
    }

    #[test]
    fn cases_are_written_in_lowercase() {
        for case in CASES {
            for s in case.kept.iter().chain(case.removed) {
                assert_eq!(*s, s.to_lowercase(), "{}: {s}", case.name);
            }
        }
    }
}
