//! Satisfaction survey options ([`crate::survey`]), in the seed's and today's shapes.

use serde_json::Value;

use super::value::{self, array, opt_str, Fields, Object, Result};
use crate::survey::{
    RemarkOption, ShowType, StyledOption, SurveyMethod, SurveyMethodFlag, SurveyOption,
    SurveyOptions, SurveyStyle,
};

/// Survey options, as [`SurveyOptions`] deserializes.
pub fn survey_options(value: Value) -> Result<SurveyOptions> {
    let mut f = Fields::of(value)?;
    Ok(SurveyOptions {
        enabled: f.or("enabled", false, value::bool)?,
        name: f.opt_string("name")?,
        title: f.opt_string("title")?,
        desc: f.opt_string("desc")?,
        remark_enabled: f.or("remark_enabled", false, value::bool)?,
        remark: f.opt_string("remark")?,
        options: f.list("options", survey_option)?,
        methods: f.list("methods", survey_method)?,
        show_type: f.opt("show_type", |v| {
            value::string(v).map(|s| ShowType::from(s.as_str()))
        })?,
        text: f.opt("text", survey_style)?,
        expression: f.opt("expression", survey_style)?,
        star: f.opt("star", survey_style)?,
    })
}

fn survey_option(value: Value) -> Result<SurveyOption> {
    let mut f = Fields::of(value)?;
    Ok(SurveyOption {
        id: f.u64("id")?,
        text: f.string("text")?,
        enabled: f.or("enabled", true, value::bool)?,
    })
}

fn survey_method(value: Value) -> Result<SurveyMethod> {
    let mut f = Fields::of(value)?;
    Ok(SurveyMethod {
        id: f.or("id", 0, value::u64)?,
        flag: f.req("flag", |v| {
            value::string(v).map(|s| SurveyMethodFlag::from(s.as_str()))
        })?,
        text: f.opt_string("text")?,
        enabled: f.or("enabled", true, value::bool)?,
    })
}

fn survey_style(value: Value) -> Result<SurveyStyle> {
    let mut f = Fields::of(value)?;
    Ok(SurveyStyle {
        default_option_id: f.opt_id("default_option_id")?,
        options: f.list("options", styled_option)?,
    })
}

fn styled_option(value: Value) -> Result<StyledOption> {
    let mut f = Fields::of(value)?;
    Ok(StyledOption {
        id: f.u64("id")?,
        text: f.string("text")?,
        desc: f.opt_string("desc")?,
        tags: f.or("tags", Vec::new(), value::tags)?,
        remark_option: f.opt("remark_option", |v| {
            value::string(v).map(|s| RemarkOption::from(s.as_str()))
        })?,
        enabled: f.or("enabled", true, value::bool)?,
    })
}

/// Survey options as [`SurveyOptions`] serializes.
pub fn survey_options_value(s: &SurveyOptions) -> Value {
    Object::new()
        .set("enabled", s.enabled.into())
        .opt("name", opt_str(&s.name))
        .opt("title", opt_str(&s.title))
        .opt("desc", opt_str(&s.desc))
        .set("remark_enabled", s.remark_enabled.into())
        .opt("remark", opt_str(&s.remark))
        .set(
            "options",
            array(&s.options, |o| {
                Object::new()
                    .set("id", o.id.into())
                    .set("text", o.text.as_str().into())
                    .set("enabled", o.enabled.into())
                    .value()
            }),
        )
        .set(
            "methods",
            array(&s.methods, |m| {
                Object::new()
                    .set("id", m.id.into())
                    .set("flag", m.flag.as_str().into())
                    .opt("text", opt_str(&m.text))
                    .set("enabled", m.enabled.into())
                    .value()
            }),
        )
        .opt("show_type", s.show_type.as_ref().map(|t| t.as_str().into()))
        .opt("text", s.text.as_ref().map(survey_style_value))
        .opt("expression", s.expression.as_ref().map(survey_style_value))
        .opt("star", s.star.as_ref().map(survey_style_value))
        .value()
}

fn survey_style_value(style: &SurveyStyle) -> Value {
    Object::new()
        .opt(
            "default_option_id",
            style.default_option_id.map(Value::from),
        )
        .set(
            "options",
            array(&style.options, |o| {
                let tags = (!o.tags.is_empty())
                    .then(|| Value::Array(o.tags.iter().map(|t| t.as_str().into()).collect()));
                Object::new()
                    .set("id", o.id.into())
                    .set("text", o.text.as_str().into())
                    .opt("desc", opt_str(&o.desc))
                    .opt("tags", tags)
                    .opt(
                        "remark_option",
                        o.remark_option.as_ref().map(|r| r.as_str().into()),
                    )
                    .set("enabled", o.enabled.into())
                    .value()
            }),
        )
        .value()
}
