//! The widget's DOM: a small element builder, event listeners, and lookups.
//!
//! Plain DOM calls without generics: an element costs a few dozen bytes of wasm instead of the
//! monomorphised types a Leptos `view!` compiles for every distinct element tree and every
//! reactive closure (such views were most of the widget's size). Text always goes in as text
//! nodes and attribute values through `setAttribute`, so nothing here is ever parsed as HTML,
//! except the widget's own icons ([`El::trusted_markup`], [`markup`]); rich message HTML goes
//! through [`crate::safe_html`].

use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

thread_local! {
    static DOCUMENT: Document = crate::browser::window()
        .document()
        .expect("the widget runs in a document");
}

/// An element under construction.
pub struct El(Element);

/// A new `<tag>` element.
pub fn el(tag: &str) -> El {
    // Only fails for an invalid name; the widget's tag names are constants.
    El(DOCUMENT
        .with(|d| d.create_element(tag))
        .unwrap_or_else(|_| panic!("invalid tag name")))
}

impl El {
    pub fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Sets `name` when `value` is `Some`.
    pub fn attr_opt(self, name: &str, value: Option<&str>) -> El {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    pub fn class(self, class: &str) -> El {
        self.0.set_class_name(class);
        self
    }

    pub fn testid(self, id: &str) -> El {
        self.attr("data-testid", id)
    }

    /// Appends `text` as a text node.
    pub fn text(self, text: &str) -> El {
        let node = DOCUMENT.with(|d| d.create_text_node(text));
        let _ = self.0.append_child(&node);
        self
    }

    pub fn child(self, child: El) -> El {
        let _ = self.0.append_child(&child.0);
        self
    }

    pub fn child_opt(self, child: Option<El>) -> El {
        match child {
            Some(child) => self.child(child),
            None => self,
        }
    }

    /// Sets the content from markup written in this crate (inline SVG icons), never from data.
    pub fn trusted_markup(self, markup: &'static str) -> El {
        self.0.set_inner_html(markup);
        self
    }

    pub fn element(&self) -> &Element {
        &self.0
    }

    pub fn into_element(self) -> Element {
        self.0
    }
}

/// An element from markup written in this crate (an inline SVG icon), never from data.
pub fn markup(markup: &'static str) -> Element {
    let holder = el("template").trusted_markup(markup).into_element();
    holder
        .unchecked_ref::<web_sys::HtmlTemplateElement>()
        .content()
        .first_element_child()
        .expect("icons are one element")
}

/// An event listener, removed when dropped.
pub struct Listener {
    target: web_sys::EventTarget,
    name: &'static str,
    capture: bool,
    closure: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

/// Listens to `name` events on `target` (in the capture phase with `capture`, for events that do
/// not bubble) until the returned [`Listener`] is dropped.
pub fn listen(
    target: &web_sys::EventTarget,
    name: &'static str,
    capture: bool,
    handler: Box<dyn FnMut(web_sys::Event)>,
) -> Listener {
    let closure = wasm_bindgen::closure::Closure::wrap(handler);
    let _ = target.add_event_listener_with_callback_and_bool(
        name,
        closure.as_ref().unchecked_ref(),
        capture,
    );
    Listener {
        target: target.clone(),
        name,
        capture,
        closure,
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.name,
            self.closure.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// Sets `element`'s text when it differs (a live region re-announces identical text otherwise).
pub fn set_text(element: &Element, text: &str) {
    if element.text_content().as_deref() != Some(text) {
        element.set_text_content(Some(text));
    }
}

/// Sets or removes a boolean attribute (`disabled`, `hidden`).
pub fn set_flag(element: &Element, name: &str, on: bool) {
    let _ = if on {
        element.set_attribute(name, "")
    } else {
        element.remove_attribute(name)
    };
}

/// The elements under `parent` that match `selector`.
pub fn select_all(parent: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = parent.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|node| node.unchecked_into())
        .collect()
}

/// The first element under `parent` that matches `selector`.
pub fn select(parent: &Element, selector: &str) -> Option<Element> {
    parent.query_selector(selector).ok().flatten()
}

/// The closest element at or above `event`'s target that matches `selector`.
pub fn closest(event: &web_sys::Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}
