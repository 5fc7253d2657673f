//! The lesson file as written (serde, unknown fields rejected). `super::load` turns it into
//! a typed, validated `Lesson`.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A text in both languages as the file has it (either may be missing: validation says so).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TextFile {
    #[serde(default)]
    pub en: Option<String>,
    #[serde(default, rename = "zh-CN")]
    pub zh: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    pub lesson: HeadFile,
    #[serde(default)]
    pub step: Vec<StepFile>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadFile {
    pub id: String,
    pub scenario: String,
    #[serde(default)]
    pub order: u32,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub faults: Option<bool>,
    pub title: TextFile,
    pub summary: TextFile,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub kind: String,
    #[serde(default)]
    pub text: Option<TextFile>,
    #[serde(default)]
    pub why: Option<TextFile>,
    #[serde(default)]
    pub hint: Option<TextFile>,
    #[serde(default)]
    pub choices: Vec<ChoiceFile>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default, rename = "until-frame")]
    pub until_frame: Option<FrameFile>,
    /// How long an `until-frame` may wait (default 30 s).
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub check: Vec<CheckFile>,
    #[serde(default)]
    pub walkthrough: Vec<ActionFile>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceFile {
    pub text: TextFile,
    pub feedback: TextFile,
    #[serde(default)]
    pub correct: bool,
}

/// A frame pattern (`until-frame`, and the `frame` check's keys).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameFile {
    pub node: String,
    #[serde(default)]
    pub iface: Option<String>,
    #[serde(default)]
    pub dir: Option<String>,
    #[serde(default, rename = "match")]
    pub fields: BTreeMap<String, toml::Value>,
}

/// One check: `what` says which predicate; the other keys are its arguments.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckFile {
    pub what: String,
    pub host: Option<String>,
    pub ip: Option<String>,
    pub owner: Option<String>,
    pub workload: Option<String>,
    pub reason: Option<String>,
    pub port: Option<u16>,
    pub director: Option<String>,
    pub counter: Option<String>,
    pub server: Option<String>,
    pub service: Option<String>,
    pub present: Option<bool>,
    pub name: Option<String>,
    pub instance: Option<String>,
    pub state: Option<String>,
    pub holder: Option<String>,
    pub node: Option<String>,
    pub iface: Option<String>,
    pub dir: Option<String>,
    pub since: Option<String>,
    #[serde(rename = "match")]
    pub fields: Option<BTreeMap<String, toml::Value>>,
    pub field: Option<String>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub equals: Option<toml::Value>,
}

/// One action: `do` says which; the other keys are its arguments.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    #[serde(rename = "do")]
    pub action: String,
    pub host: Option<String>,
    pub name: Option<String>,
    pub value: Option<i64>,
    pub line: Option<String>,
    pub iface: Option<String>,
    pub port: Option<u16>,
    #[serde(rename = "for")]
    pub for_: Option<String>,
    pub until: Option<String>,
    pub to: Option<String>,
    pub via: Option<String>,
}
