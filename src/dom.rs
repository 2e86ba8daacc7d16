//! A small element builder for the transcript, whose rows render once per revision and never
//! change in place.
//!
//! Plain DOM calls without generics: a row costs a few hundred bytes of wasm instead of the
//! monomorphised `view!` types Leptos compiles for every distinct element tree (the transcript
//! was most of the widget's size that way). Text always goes in as text nodes and attribute
//! values through `setAttribute`, so nothing here is ever parsed as HTML; rich message HTML goes
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
    El(DOCUMENT
        .with(|d| d.create_element(tag))
        .expect("tag names are constants"))
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
