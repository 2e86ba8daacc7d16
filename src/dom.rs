//! A small element builder for the transcript's message contents, which are built once and never
//! change (see `components::messages` for why they are not Leptos views).
//!
//! Plain DOM calls without generics: an element costs a few dozen bytes of wasm instead of the
//! monomorphised types a Leptos `view!` compiles for every distinct element tree. Text always
//! goes in as text nodes and attribute values through `setAttribute`, so nothing here is ever
//! parsed as HTML, except the widget's own icons ([`El::trusted_markup`]); rich message HTML goes
//! through [`crate::safe_html`].

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

    /// Appends an element kept elsewhere too (to update it later).
    pub fn child_element(self, child: &Element) -> El {
        let _ = self.0.append_child(child);
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
