//! Design tokens and the widget's stylesheet.
//!
//! Every colour, radius, font and size is a CSS custom property `--udesk-…` that a host page may
//! set from outside (custom properties inherit through the shadow boundary, and `all: initial`
//! on the host element does not reset them):
//!
//! ```css
//! :root { --udesk-primary: #e4007f; --udesk-radius: 4px; }
//! ```
//!
//! Colour tokens have a dark twin `--udesk-dark-…`, used when the widget is dark (the visitor's
//! `prefers-color-scheme`, unless the page forces `data-theme="light"` or `"dark"`). Inside the
//! shadow root components only read private `--u-…` variables, resolved once on `.udesk-root`
//! from the public token or its default, so an unset token never leaves a hole.
//!
//! The styles live in the shadow root, so they cannot leak into the host page, and host CSS
//! cannot reach in. They come in two parts: the shell's ([`shell_stylesheet`]: tokens, launcher,
//! badge, the panel's frame), which `www/embed.js` carries and draws at once on every page, and
//! the app's ([`stylesheet`]: the panel's insides), injected when the wasm app loads on intent.

/// One public design token.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    /// The name after `--udesk-` (and after `--udesk-dark-` for the dark twin).
    pub name: &'static str,
    pub light: &'static str,
    /// The dark-theme default, for colour tokens.
    pub dark: Option<&'static str>,
    /// What it styles, for the README's table (not compiled into the wasm).
    #[cfg(not(target_arch = "wasm32"))]
    pub what: &'static str,
}

const fn colour(
    name: &'static str,
    light: &'static str,
    dark: &'static str,
    what: &'static str,
) -> Token {
    let _ = what;
    Token {
        name,
        light,
        dark: Some(dark),
        #[cfg(not(target_arch = "wasm32"))]
        what,
    }
}

const fn size(name: &'static str, value: &'static str, what: &'static str) -> Token {
    let _ = what;
    Token {
        name,
        light: value,
        dark: None,
        #[cfg(not(target_arch = "wasm32"))]
        what,
    }
}

/// Every public token, with its defaults. The README's token table is this list.
pub const TOKENS: &[Token] = &[
    colour("primary", "#1f6feb", "#4c8dff", "launcher, visitor bubbles, buttons, links"),
    colour("on-primary", "#ffffff", "#0b1b3a", "text and icons on the primary colour"),
    colour("bg", "#ffffff", "#17181c", "panel background"),
    colour("surface", "#f3f4f6", "#23252b", "robot/agent bubbles, cards, header"),
    colour("text", "#1f2328", "#e8eaed", "main text"),
    colour("muted", "#5f6670", "#a0a6b0", "times, system lines, hints"),
    colour("border", "#d9dce1", "#3a3d45", "dividers and outlines"),
    colour("visitor-bubble", "var(--u-primary)", "var(--u-primary)", "the visitor's bubbles"),
    colour("visitor-text", "var(--u-on-primary)", "var(--u-on-primary)", "text in the visitor's bubbles"),
    colour("danger", "#c62828", "#ff6b6b", "failed sends, errors, unread badge"),
    colour("success", "#1b7f3b", "#5fd38d", "confirmations"),
    colour("warning-bg", "#fff4d6", "#3d3216", "queue and connection banners"),
    colour("focus", "#ffb000", "#ffcc4d", "keyboard focus ring"),
    colour("star", "#f5a623", "#f5b843", "survey stars"),
    size("font", "system-ui, -apple-system, \"Segoe UI\", Roboto, \"PingFang SC\", \"Microsoft YaHei\", sans-serif", "font family"),
    size("font-size", "14px", "base font size"),
    size("line-height", "1.45", "base line height"),
    size("radius", "16px", "panel corners"),
    size("bubble-radius", "14px", "message bubbles and cards"),
    size("button-radius", "8px", "buttons and inputs"),
    size("spacing", "8px", "base spacing unit"),
    size("panel-width", "380px", "panel width on wide screens"),
    size("panel-height", "620px", "panel height on tall screens"),
    size("launcher-size", "56px", "launcher button diameter"),
    size("offset", "20px", "distance of launcher and panel from the window edges"),
    size("shadow", "0 12px 40px rgba(0,0,0,.18)", "panel and launcher shadow"),
    size("z-index", "2147483000", "stacking order of the widget"),
];

/// The resolved private variables for one theme.
#[cfg(not(target_arch = "wasm32"))]
fn variables(dark: bool) -> String {
    let mut out = String::new();
    for token in TOKENS {
        let value = match (dark, token.dark) {
            (true, Some(dark_default)) => format!(
                "var(--udesk-dark-{0}, var(--udesk-{0}, {dark_default}))",
                token.name
            ),
            (true, None) => continue,
            (false, _) => format!("var(--udesk-{}, {})", token.name, token.light),
        };
        out.push_str(&format!("--u-{}:{value};", token.name));
    }
    out
}

/// The shell's stylesheet: the tokens resolved to `--u-…` variables (light, dark, following the
/// system), the root, the launcher with its badge, and the panel's frame with its header. This is
/// what `www/embed.js` draws before the app has loaded, so the stylesheet is compiled into
/// embed.js, not into the wasm: a host test ([`tests::embed_js_carries_the_shell_stylesheet`])
/// keeps embed.js's copy equal to this.
#[cfg(not(target_arch = "wasm32"))]
pub fn shell_stylesheet() -> String {
    let light = variables(false);
    let dark = variables(true);
    let rules: String = SHELL_RULES.lines().collect();
    format!(
        ":host{{all:initial}}\
         .udesk-root{{{light}color-scheme:light}}\
         .udesk-root[data-theme=dark]{{{dark}color-scheme:dark}}\
         @media (prefers-color-scheme:dark){{.udesk-root[data-theme=auto]{{{dark}color-scheme:dark}}}}\
         {rules}"
    )
}

/// The rules of the shell (launcher, badge, panel frame, header); they only read `--u-…`
/// variables.
#[cfg(not(target_arch = "wasm32"))]
const SHELL_RULES: &str = r#"
.udesk-root{font-family:var(--u-font);font-size:var(--u-font-size);line-height:var(--u-line-height);color:var(--u-text);-webkit-font-smoothing:antialiased;text-align:left;direction:ltr}
.udesk-root *,.udesk-root *::before,.udesk-root *::after{box-sizing:border-box}
.udesk-root button,.udesk-root textarea,.udesk-root input{font:inherit;color:inherit}
.udesk-root :focus-visible{outline:3px solid var(--u-focus);outline-offset:2px}
.udesk-root [hidden]{display:none!important}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.launcher{position:fixed;bottom:var(--u-offset);right:var(--u-offset);z-index:var(--u-z-index);min-width:var(--u-launcher-size);height:var(--u-launcher-size);padding:0;display:flex;align-items:center;justify-content:center;gap:var(--u-spacing);border:0;border-radius:calc(var(--u-launcher-size)/2);background:var(--u-primary);color:var(--u-on-primary);box-shadow:var(--u-shadow);cursor:pointer;font-weight:600;transition:transform .15s ease}
.launcher:hover{transform:scale(1.05)}
.launcher.labelled{padding:0 calc(var(--u-launcher-size)/3.5)}
.launcher svg{width:26px;height:26px;flex:none}
.launcher[aria-expanded=true] .i-chat,.launcher[aria-expanded=false] .i-close{display:none}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:var(--u-danger);color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid var(--u-bg)}
.panel{position:fixed;z-index:var(--u-z-index);right:var(--u-offset);bottom:calc(var(--u-offset) + var(--u-launcher-size) + 12px);width:var(--u-panel-width);height:min(var(--u-panel-height),calc(100vh - var(--u-launcher-size) - 2*var(--u-offset) - 24px));display:flex;flex-direction:column;overflow:hidden;background:var(--u-bg);color:var(--u-text);border:1px solid var(--u-border);border-radius:var(--u-radius);box-shadow:var(--u-shadow);animation:udesk-in .18s ease-out}
.udesk-root[data-position=left] .panel{right:auto;left:var(--u-offset)}
@keyframes udesk-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
@media (prefers-reduced-motion:reduce){.panel{animation:none}.launcher{transition:none}}
.header{display:flex;align-items:center;gap:calc(var(--u-spacing)*1.25);padding:calc(var(--u-spacing)*1.5);background:var(--u-primary);color:var(--u-on-primary)}
.header .who{flex:1;min-width:0}
.header .name{margin:0;font-size:1.05em;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.icon-button{width:36px;height:36px;flex:none;display:flex;align-items:center;justify-content:center;border:0;border-radius:var(--u-button-radius);background:transparent;color:inherit;cursor:pointer}
.icon-button:hover{background:color-mix(in srgb,currentColor 16%,transparent)}
.icon-button svg{width:20px;height:20px}
@media (max-width:480px){.panel,.udesk-root[data-position=left] .panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;border:0}.udesk-root[data-open=true] .launcher{display:none}}
.loading{flex:1;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:calc(var(--u-spacing)*1.5);padding:calc(var(--u-spacing)*3);color:var(--u-muted);text-align:center}
.loading button{border:1px solid var(--u-border);background:var(--u-bg);border-radius:var(--u-button-radius);padding:6px 16px;cursor:pointer}
"#;

/// The app's stylesheet, injected by the app into the shell's shadow root beside the shell's: the
/// panel's insides. It only reads the `--u-…` variables the shell resolves.
pub fn stylesheet() -> &'static str {
    RULES
}

/// The rules of the panel's insides.
const RULES: &str = r#"
.udesk-root[data-position=left] .launcher{right:auto;left:var(--u-offset)}
.header .status{font-size:.85em;opacity:.85}
.avatar{width:36px;height:36px;flex:none;border-radius:50%;object-fit:cover;background:var(--u-surface);color:var(--u-muted);display:flex;align-items:center;justify-content:center;font-weight:700;overflow:hidden}
.header .avatar{background:color-mix(in srgb,currentColor 20%,transparent);color:var(--u-on-primary)}
.header .action{border:1px solid color-mix(in srgb,currentColor 60%,transparent);background:transparent;color:inherit;border-radius:var(--u-button-radius);padding:4px 10px;font-size:.85em;cursor:pointer;white-space:nowrap}
.header .action:hover{background:color-mix(in srgb,currentColor 16%,transparent)}
.banner{display:flex;align-items:center;gap:var(--u-spacing);flex-wrap:wrap;padding:var(--u-spacing) calc(var(--u-spacing)*1.5);background:var(--u-warning-bg);color:var(--u-text);font-size:.9em;border-bottom:1px solid var(--u-border)}
.banner .grow{flex:1;min-width:60%}
.banner button{border:1px solid var(--u-border);background:var(--u-bg);border-radius:var(--u-button-radius);padding:3px 10px;cursor:pointer;font-size:.9em}
.log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:calc(var(--u-spacing)*1.5);display:flex;flex-direction:column;gap:calc(var(--u-spacing)*1.25)}
.earlier{align-self:center;font:inherit;font-size:.8em;color:var(--u-primary);background:none;border:0;padding:4px 10px;cursor:pointer}
.row{display:flex;gap:var(--u-spacing);align-items:flex-end;max-width:100%}
.row.visitor{flex-direction:row-reverse}
.row .avatar{width:28px;height:28px;font-size:.8em}
.stack{display:flex;flex-direction:column;gap:4px;max-width:80%;min-width:0}
.row.visitor .stack{align-items:flex-end}
.stack>.content{display:contents}
.bubble{padding:calc(var(--u-spacing)*1.1) calc(var(--u-spacing)*1.5);border-radius:var(--u-bubble-radius);background:var(--u-surface);color:var(--u-text);white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%}
.row.visitor .bubble{background:var(--u-visitor-bubble);color:var(--u-visitor-text);border-bottom-right-radius:4px}
.row.reply .bubble{border-bottom-left-radius:4px}
.bubble.html{white-space:normal}
.bubble.html p{margin:0 0 .5em}.bubble.html p:last-child{margin:0}
.bubble img{max-width:100%;height:auto;border-radius:6px}
.bubble a{color:var(--u-primary)}
.row.visitor .bubble a{color:inherit}
.meta{display:flex;gap:6px;align-items:center;font-size:.75em;color:var(--u-muted)}
.meta .failed{color:var(--u-danger);font-weight:600}
.meta button{border:0;background:none;color:var(--u-primary);text-decoration:underline;cursor:pointer;padding:0;font-size:1em}
.sender{font-size:.75em;color:var(--u-muted)}
.system{align-self:center;max-width:90%;text-align:center;font-size:.8em;color:var(--u-muted);padding:2px 10px;border-radius:10px;background:var(--u-surface)}
.thumb{display:block;padding:0;border:0;background:none;cursor:zoom-in;border-radius:var(--u-bubble-radius);overflow:hidden;max-width:240px}
.thumb img{display:block;max-width:240px;max-height:240px;object-fit:cover}
.media audio{width:240px;max-width:100%}
.media video{width:260px;max-width:100%;border-radius:var(--u-bubble-radius);background:#000;display:block}
.media .caption{font-size:.75em;color:var(--u-muted);margin-top:2px}
.file{display:flex;align-items:center;gap:var(--u-spacing);padding:var(--u-spacing) calc(var(--u-spacing)*1.25);border:1px solid var(--u-border);border-radius:var(--u-bubble-radius);background:var(--u-bg);color:var(--u-text);text-decoration:none;max-width:260px}
.file svg{width:28px;height:28px;flex:none;color:var(--u-primary)}
.file .fname{font-weight:600;overflow-wrap:anywhere}
.file .fsize{font-size:.8em;color:var(--u-muted)}
.cards{display:flex;flex-direction:column;gap:var(--u-spacing)}
.card{width:250px;max-width:100%;border:1px solid var(--u-border);border-radius:var(--u-bubble-radius);overflow:hidden;background:var(--u-bg)}
.card img{display:block;width:100%;max-height:140px;object-fit:cover}
.card .body{padding:var(--u-spacing) calc(var(--u-spacing)*1.25)}
.card .title{font-weight:650;margin:0 0 4px}
.card .desc{margin:0;font-size:.9em;color:var(--u-muted);white-space:pre-wrap}
.card .buttons{display:flex;flex-direction:column;border-top:1px solid var(--u-border)}
.card .buttons a,.card .buttons span{padding:8px;text-align:center;color:var(--u-primary);text-decoration:none;font-weight:600}
.card .buttons > * + *{border-top:1px solid var(--u-border)}
.card .buttons span{color:var(--u-muted);font-weight:400}
.suggest{display:flex;flex-direction:column;gap:6px;margin-top:6px}
.suggest .label{font-size:.8em;color:var(--u-muted)}
.chip{align-self:flex-start;text-align:left;border:1px solid var(--u-primary);color:var(--u-primary);background:var(--u-bg);border-radius:14px;padding:4px 12px;cursor:pointer;font-size:.9em}
.chip:hover,.chip[aria-pressed=true]{background:var(--u-primary);color:var(--u-on-primary)}
.rate{display:flex;gap:6px;align-items:center;font-size:.8em;color:var(--u-muted)}
.rate button{border:1px solid var(--u-border);background:var(--u-bg);border-radius:var(--u-button-radius);padding:2px 10px;cursor:pointer}
.rate .done{color:var(--u-success)}
.third{font-size:.85em;color:var(--u-primary)}
.survey{align-self:stretch;border:1px solid var(--u-border);border-radius:var(--u-bubble-radius);padding:calc(var(--u-spacing)*1.5);background:var(--u-surface);display:flex;flex-direction:column;gap:var(--u-spacing)}
.survey fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
.survey legend{font-weight:650;margin-bottom:6px;padding:0}
.survey .opt{border:1px solid var(--u-border);background:var(--u-bg);border-radius:var(--u-button-radius);padding:6px 12px;cursor:pointer}
.survey .opt[aria-checked=true]{border-color:var(--u-primary);background:var(--u-primary);color:var(--u-on-primary)}
.survey .face{font-size:1.6em;line-height:1;padding:6px 8px;display:flex;flex-direction:column;align-items:center;gap:2px}
.survey .face .words{font-size:.45em}
.survey .star{font-size:1.7em;line-height:1;border:0;background:none;color:var(--u-border);cursor:pointer;padding:0 2px}
.survey .star.on{color:var(--u-star)}
.survey .tags{display:flex;flex-wrap:wrap;gap:6px}
.survey .tags .chip{align-self:auto}
.survey .desc{font-size:.85em;color:var(--u-muted);margin:0}
.survey textarea{width:100%;min-height:60px;resize:vertical;border:1px solid var(--u-border);border-radius:var(--u-button-radius);padding:6px 8px;background:var(--u-bg)}
.survey .submit{align-self:flex-end;border:0;border-radius:var(--u-button-radius);padding:6px 16px;background:var(--u-primary);color:var(--u-on-primary);cursor:pointer;font-weight:600}
.survey .submit:disabled{opacity:.5;cursor:not-allowed}
.survey .error{color:var(--u-danger);font-size:.85em;margin:0}
.survey .thanks{color:var(--u-success);font-weight:600;margin:0}
.composer{display:flex;gap:var(--u-spacing);align-items:flex-end;padding:var(--u-spacing) calc(var(--u-spacing)*1.25);border-top:1px solid var(--u-border);background:var(--u-bg)}
.composer textarea{flex:1;resize:none;min-height:40px;max-height:120px;padding:9px 12px;border:1px solid var(--u-border);border-radius:20px;background:var(--u-bg);overflow-y:auto;overflow-wrap:anywhere}
.composer textarea::placeholder{color:var(--u-muted)}
.composer textarea:focus-visible{outline:2px solid var(--u-primary);outline-offset:1px;border-color:var(--u-primary)}
.send{width:40px;height:40px;flex:none;border:0;border-radius:50%;background:var(--u-primary);color:var(--u-on-primary);cursor:pointer;display:flex;align-items:center;justify-content:center}
.send:disabled{opacity:.45;cursor:default}
.send svg{width:18px;height:18px}
.tool{width:40px;height:40px;flex:none;border:0;border-radius:50%;background:none;color:var(--u-muted);cursor:pointer;display:flex;align-items:center;justify-content:center}
.tool:hover,.tool[aria-pressed=true]{color:var(--u-primary)}
.tool[aria-pressed=true]{color:var(--u-danger)}
.tool svg{width:20px;height:20px}
.tool[hidden]{display:none}
.bubble.upload{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline;min-width:160px}
.upload .fname{font-weight:600;overflow-wrap:anywhere}
.upload .fsize{font-size:.8em;opacity:.8}
.upload progress{flex-basis:100%;width:100%;height:6px;accent-color:var(--u-primary)}
.upload progress[hidden],.meta [hidden]{display:none}
.holder{display:contents}
.panel.dropping{outline:3px dashed var(--u-primary);outline-offset:-3px}
.lightbox{position:absolute;inset:0;z-index:2;display:flex;align-items:center;justify-content:center;background:rgba(0,0,0,.85);cursor:zoom-out;border:0;padding:16px;width:100%}
.lightbox img{max-width:100%;max-height:100%;object-fit:contain}
@media (max-width:480px){.composer textarea{font-size:16px}}
"#;

/// The README's token table (Markdown).
#[cfg(not(target_arch = "wasm32"))]
pub fn token_table() -> String {
    let mut out =
        String::from("| token | default (light) | default (dark) | what |\n|---|---|---|---|\n");
    for t in TOKENS {
        // Defaults that refer to another token name it by its public name.
        let public = |v: &str| v.replace("var(--u-", "var(--udesk-");
        let dark = t
            .dark
            .map_or("—".to_owned(), |d| format!("`{}`", public(d)));
        out.push_str(&format!(
            "| `--udesk-{}` | `{}` | {dark} | {} |\n",
            t.name,
            public(t.light),
            t.what
        ));
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The line of `www/embed.js` that holds the shell's stylesheet.
    fn embed_js_line() -> String {
        let css = shell_stylesheet();
        // embed.js holds it in a single-quoted string on one line.
        assert!(
            !css.contains(['\'', '\\', '\n']),
            "the shell's CSS must fit a '…' string"
        );
        format!("  var CSS = '{css}';")
    }

    #[test]
    fn embed_js_carries_the_shell_stylesheet() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/embed.js");
        let embed = std::fs::read_to_string(path).unwrap();
        let expected = embed_js_line();
        if embed.lines().any(|line| line == expected) {
            return;
        }
        // `UPDATE_EMBED_CSS=1 cargo test -p udesk-widget embed_js` writes the current one in.
        if std::env::var_os("UPDATE_EMBED_CSS").is_some() {
            let updated: Vec<String> = embed
                .lines()
                .map(|line| {
                    if line.starts_with("  var CSS = '") {
                        expected.clone()
                    } else {
                        line.to_owned()
                    }
                })
                .collect();
            std::fs::write(path, updated.join("\n") + "\n").unwrap();
            return;
        }
        panic!(
            "www/embed.js does not carry the current shell stylesheet; run \
             `UPDATE_EMBED_CSS=1 cargo test -p udesk-widget embed_js` or make its CSS line read:\n{expected}"
        );
    }

    #[test]
    fn every_token_resolves_with_a_fallback() {
        let css = shell_stylesheet();
        for token in TOKENS {
            assert!(
                css.contains(&format!("--u-{}:var(--udesk-{}, ", token.name, token.name)),
                "{} has no light definition",
                token.name
            );
            if token.dark.is_some() {
                assert!(
                    css.contains(&format!(
                        "var(--udesk-dark-{0}, var(--udesk-{0}, ",
                        token.name
                    )),
                    "{} has no dark definition",
                    token.name
                );
            }
        }
    }

    #[test]
    fn rules_only_use_tokens_that_exist() {
        let css = shell_stylesheet() + stylesheet();
        let mut rest = css.as_str();
        while let Some(i) = rest.find("var(--u-") {
            let name_start = i + "var(--u-".len();
            let name_end = rest[name_start..]
                .find([')', ','])
                .map(|e| name_start + e)
                .unwrap();
            let name = &rest[name_start..name_end];
            assert!(
                TOKENS.iter().any(|t| t.name == name),
                "var(--u-{name}) is not a token"
            );
            rest = &rest[name_end..];
        }
    }

    #[test]
    fn dark_theme_follows_the_system_unless_forced() {
        let css = shell_stylesheet();
        assert!(css.contains("@media (prefers-color-scheme:dark){.udesk-root[data-theme=auto]{"));
        assert!(css.contains(".udesk-root[data-theme=dark]{"));
        assert!(css.starts_with(":host{all:initial}"));
    }

    #[test]
    fn the_embedding_guide_has_the_current_token_table() {
        let guide = include_str!("../www/EMBEDDING.md");
        assert!(
            guide.contains(&token_table()),
            "www/EMBEDDING.md is out of date; its token table should read:\n{}",
            token_table()
        );
    }

    #[test]
    fn the_token_table_lists_every_token() {
        let table = token_table();
        assert_eq!(table.lines().count(), TOKENS.len() + 2);
        assert!(table.contains("`--udesk-primary`"));
    }
}
