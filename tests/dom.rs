//! Browser tests of the DOM-side sanitising pass (`wasm-bindgen-test` in headless Chromium):
//! message HTML is parsed inertly and cleaned by the shared allowlist
//! (`udesk_protocol::html_policy`) before it reaches the page, whatever the relay let through; the
//! policy's shared cases run here as they run against the relay's sanitiser. Run with
//! `cargo test --target wasm32-unknown-unknown --test dom` (see README).
#![cfg(target_arch = "wasm32")]

use udesk_protocol::html_policy::{self, cases};
use udesk_widget::safe_html::render_into;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn flag() -> Option<f64> {
    js_sys::Reflect::get(&web_sys::window().unwrap(), &"__xss".into())
        .ok()
        .and_then(|v| v.as_f64())
}

#[wasm_bindgen_test]
async fn scripts_handlers_and_javascript_urls_are_removed() {
    let div = container();
    render_into(
        &div,
        r#"<p>ok <b>bold</b></p><script>window.__xss = 1</script>
           <img src="data:," onerror="window.__xss = 2">
           <a href="javascript:window.__xss = 3">x</a><a href=" JaVa&#09;script:alert(1)">y</a>
           <iframe src="https://example.com"></iframe><svg><a href="javascript:1"></a></svg>
           <div style="position:fixed" onclick="window.__xss = 4">z</div>
           <form action="https://evil.example"><input name="q"></form>"#,
    );
    // Give an inline handler the chance to fire if it had survived.
    let wait = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(wait).await.unwrap();

    assert_eq!(flag(), None, "no script ran");
    assert_eq!(
        div.query_selector("b")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "bold"
    );
    for selector in [
        "script",
        "iframe",
        "form",
        "input",
        "[onerror]",
        "[onclick]",
        "[style]",
    ] {
        assert!(
            div.query_selector(selector).unwrap().is_none(),
            "{selector} survived"
        );
    }
    let links = div.query_selector_all("a").unwrap();
    for i in 0..links.length() {
        let a: web_sys::Element = links.item(i).unwrap().dyn_into().unwrap();
        let href = a.get_attribute("href").unwrap_or_default().to_lowercase();
        assert!(!href.contains("javascript"), "{href}");
    }
}

#[wasm_bindgen_test]
fn safe_links_open_in_a_new_tab_and_images_load_lazily() {
    let div = container();
    render_into(
        &div,
        r#"<a href="https://help.example/returns">help</a><img src="https://img.example/a.png" alt="a">"#,
    );
    let a = div.query_selector("a").unwrap().unwrap();
    assert_eq!(
        a.get_attribute("href").as_deref(),
        Some("https://help.example/returns")
    );
    assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        a.get_attribute("rel").as_deref(),
        Some(html_policy::LINK_REL)
    );
    let img = div.query_selector("img").unwrap().unwrap();
    assert_eq!(img.get_attribute("loading").as_deref(), Some("lazy"));
    assert_eq!(img.get_attribute("alt").as_deref(), Some("a"));
}

/// The cases the relay's sanitiser runs too: one policy, one corpus, both sides.
#[wasm_bindgen_test]
fn the_shared_html_policy_cases_pass() {
    let failures: Vec<String> = cases::CASES
        .iter()
        .filter_map(|case| {
            let div = container();
            render_into(&div, case.input);
            let result = cases::check(case, &div.inner_html());
            div.remove();
            result.err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn allowed_inline_styles_apply_and_the_rest_does_not() {
    let div = container();
    render_into(
        &div,
        r#"<p style="color: rgb(1, 2, 3); position: fixed; background: url(https://evil.example/x.png)">x</p>"#,
    );
    let p: web_sys::HtmlElement = div
        .query_selector("p")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let style = p.style();
    assert_eq!(style.get_property_value("color").unwrap(), "rgb(1, 2, 3)");
    assert_eq!(style.get_property_value("position").unwrap(), "");
    assert_eq!(style.get_property_value("background-image").unwrap(), "");
}

#[wasm_bindgen_test]
fn unknown_elements_are_unwrapped_and_foreign_content_removed() {
    let div = container();
    render_into(
        &div,
        "<section><custom-card><b>kept</b></custom-card></section><svg><text>gone</text></svg>\
         <math><mi>gone</mi></math><!-- note -->",
    );
    assert_eq!(div.inner_html(), "<b>kept</b>");
}
