//! Parsing of a cmi5 course structure (`cmi5.xml`), cmi5 spec section 13.
//!
//! The parser collects every problem it finds instead of stopping at the
//! first one, so an author can fix a file in one go. It does not decide
//! whether an AU url is relative or absolute: that depends on how the course
//! was packaged (section 14) and is left to the caller.

use std::collections::HashMap;

use roxmltree::{Document, Node as XmlNode, ParsingOptions};

/// The namespace of the cmi5 course structure elements.
const NAMESPACE: &str = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd";

const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// Deepest nesting of blocks and AUs accepted.
const MAX_DEPTH: usize = 32;
/// Most AUs and blocks accepted in one course.
const MAX_NODES: usize = 10_000;
/// Most problems reported; the rest are summarised in one line.
const MAX_PROBLEMS: usize = 100;
/// Upper bound on XML nodes, to keep memory use in check.
const MAX_XML_NODES: u32 = 2_000_000;

/// A course, with its top-level blocks and AUs in document order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Course {
    /// The course's publisher id (an IRI).
    pub id: String,
    /// Text of the first title langstring.
    pub title: String,
    /// Text of the first description langstring, or empty.
    pub description: String,
    /// The `lang` of the first title langstring, if given.
    pub language: Option<String>,
    /// Top-level blocks and AUs.
    pub children: Vec<Node>,
}

/// An entry of a course or block.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A group of AUs and blocks (section 13.1.2).
    Block(Block),
    /// An assignable unit (section 13.1.4).
    Au(Au),
}

/// A block: a group of AUs and nested blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The block's publisher id (an IRI).
    pub id: String,
    /// Text of the first title langstring.
    pub title: String,
    /// Text of the first description langstring, or empty.
    pub description: String,
    /// Nested blocks and AUs, never empty.
    pub children: Vec<Node>,
}

/// An assignable unit and its launch data.
#[derive(Debug, Clone, PartialEq)]
pub struct Au {
    /// The AU's publisher id (an IRI).
    pub id: String,
    /// Text of the first title langstring.
    pub title: String,
    /// Text of the first description langstring, or empty.
    pub description: String,
    /// The launch url as written, relative or absolute.
    pub url: String,
    /// When the AU counts as satisfied.
    pub move_on: MoveOn,
    /// Scaled passing score in [0, 1], if any.
    pub mastery_score: Option<f64>,
    /// Window requirements for the launch.
    pub launch_method: LaunchMethod,
    /// Static launch parameters, trimmed.
    pub launch_parameters: Option<String>,
    /// Entitlement key from the course structure, trimmed.
    pub entitlement_key: Option<String>,
    /// The activity type IRI, if any.
    pub activity_type: Option<String>,
}

/// The moveOn criterion of an AU (section 13.1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveOn {
    Passed,
    Completed,
    CompletedAndPassed,
    CompletedOrPassed,
    NotApplicable,
}

impl MoveOn {
    /// The cmi5 spelling, e.g. `"CompletedAndPassed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "Passed",
            Self::Completed => "Completed",
            Self::CompletedAndPassed => "CompletedAndPassed",
            Self::CompletedOrPassed => "CompletedOrPassed",
            Self::NotApplicable => "NotApplicable",
        }
    }

    /// Parses the cmi5 spelling (case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Passed,
            Self::Completed,
            Self::CompletedAndPassed,
            Self::CompletedOrPassed,
            Self::NotApplicable,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// The launchMethod of an AU (section 13.1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchMethod {
    AnyWindow,
    OwnWindow,
}

impl LaunchMethod {
    /// The cmi5 spelling, `"AnyWindow"` or `"OwnWindow"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnyWindow => "AnyWindow",
            Self::OwnWindow => "OwnWindow",
        }
    }

    /// Parses the cmi5 spelling (case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "AnyWindow" => Some(Self::AnyWindow),
            "OwnWindow" => Some(Self::OwnWindow),
            _ => None,
        }
    }
}

impl Course {
    /// All AUs of the course, depth first, in document order.
    pub fn aus(&self) -> Vec<&Au> {
        let mut out = Vec::new();
        collect_aus(&self.children, &mut out);
        out
    }
}

fn collect_aus<'a>(nodes: &'a [Node], out: &mut Vec<&'a Au>) {
    for node in nodes {
        match node {
            Node::Au(au) => out.push(au),
            Node::Block(block) => collect_aus(&block.children, out),
        }
    }
}

/// Parses and checks a `cmi5.xml` file.
///
/// Returns every problem found, as human-readable sentences, if the file is
/// not an acceptable course structure.
pub fn parse(xml: &[u8]) -> Result<Course, Vec<String>> {
    let text = std::str::from_utf8(xml).map_err(|_| one("the file is not valid UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| one(&xml_error(&e)))?;
    let root = doc.root_element();
    // roxmltree lets an empty DOCTYPE through; refuse any DTD all the same.
    if text[..root.range().start].contains("<!DOCTYPE") {
        return Err(one("a DTD is not allowed"));
    }
    if !is_cmi5(root, "courseStructure") {
        return Err(one("the root element is not a cmi5 courseStructure"));
    }
    let mut parser = Parser::default();
    let course = parser.course(root);
    parser.objectives(root);
    let children = parser.children(root, 1);
    if parser.aus == 0 && !parser.too_many && !parser.too_deep {
        parser.problem("the course contains no AU".to_string());
    }
    parser.finish(course, children)
}

fn one(message: &str) -> Vec<String> {
    vec![message.to_string()]
}

fn xml_error(error: &roxmltree::Error) -> String {
    match error {
        roxmltree::Error::DtdDetected => "a DTD is not allowed".to_string(),
        roxmltree::Error::NodesLimitReached => "the file has too many XML nodes".to_string(),
        other => format!("the file is not well-formed XML: {other}"),
    }
}

/// Whether `node` is the cmi5 element `name` (in the cmi5 namespace or none).
fn is_cmi5(node: XmlNode, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && matches!(node.tag_name().namespace(), None | Some(NAMESPACE))
}

fn cmi5_children<'a, 'i>(
    node: XmlNode<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = XmlNode<'a, 'i>> + 'a {
    node.children().filter(move |c| is_cmi5(*c, name))
}

fn cmi5_child<'a, 'i>(node: XmlNode<'a, 'i>, name: &'a str) -> Option<XmlNode<'a, 'i>> {
    cmi5_children(node, name).next()
}

/// All text inside `node`, trimmed (section 13.1: whitespace is removed).
fn text_of(node: XmlNode) -> String {
    let text: String = node
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    text.trim().to_string()
}

/// The first langstring of the `name` child: its text and its language.
fn first_langstring(node: XmlNode, name: &str) -> Option<(String, Option<String>)> {
    let langstring = cmi5_child(cmi5_child(node, name)?, "langstring")?;
    let lang = langstring
        .attribute("lang")
        .or_else(|| langstring.attribute((XML_NAMESPACE, "lang")))
        .map(|l| l.trim().to_string());
    Some((text_of(langstring), lang))
}

/// Whether `s` is an absolute IRI: a scheme, a colon, then something, with
/// no whitespace anywhere.
fn is_absolute_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
    scheme_ok && !rest.is_empty() && !s.chars().any(char::is_whitespace)
}

/// Parses an `xs:decimal` (no exponent, no NaN or infinity).
fn parse_decimal(s: &str) -> Option<f64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    s.parse().ok()
}

#[derive(Default)]
struct Parser {
    problems: Vec<String>,
    /// Every id seen so far, with the label of its owner.
    ids: HashMap<String, String>,
    aus: usize,
    blocks: usize,
    too_many: bool,
    too_deep: bool,
}

impl Parser {
    fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    fn finish(mut self, mut course: Course, children: Vec<Node>) -> Result<Course, Vec<String>> {
        if self.problems.is_empty() {
            course.children = children;
            return Ok(course);
        }
        if self.problems.len() > MAX_PROBLEMS {
            let rest = self.problems.len() - MAX_PROBLEMS;
            self.problems.truncate(MAX_PROBLEMS);
            self.problems.push(format!("... and {rest} more problems"));
        }
        Err(self.problems)
    }

    /// Checks that `id` is present, an absolute IRI and not used before.
    fn id(&mut self, label: &str, id: Option<&str>) -> String {
        let Some(id) = id.map(str::trim) else {
            self.problem(format!("{label}: id is missing"));
            return String::new();
        };
        if !is_absolute_iri(id) {
            self.problem(format!("{label}: id {id:?} is not an IRI"));
        } else if let Some(owner) = self.ids.get(id) {
            let message = format!("{label}: id {id:?} is already used by {owner}");
            self.problem(message);
        } else {
            self.ids.insert(id.to_string(), label.to_string());
        }
        id.to_string()
    }

    /// Reads the required title and optional description of `node`.
    fn texts(&mut self, node: XmlNode, kind: &str) -> (String, String, String, Option<String>) {
        let title = first_langstring(node, "title");
        let description = first_langstring(node, "description").map(|(text, _)| text);
        let (title, lang) = title.unwrap_or_default();
        let label = if title.is_empty() {
            self.problem(format!("{kind}: title is missing"));
            kind.to_string()
        } else {
            format!("{kind} ({title:?})")
        };
        (label, title, description.unwrap_or_default(), lang)
    }

    fn course(&mut self, root: XmlNode) -> Course {
        let mut courses = cmi5_children(root, "course");
        let Some(node) = courses.next() else {
            self.problem("there is no course element".to_string());
            return Course::default();
        };
        if courses.next().is_some() {
            self.problem("there is more than one course element".to_string());
        }
        let (label, title, description, language) = self.texts(node, "course");
        let id = self.id(&label, node.attribute("id"));
        Course {
            id,
            title,
            description,
            language,
            children: Vec::new(),
        }
    }

    /// Checks the ids of the course-level objectives; nothing else is kept.
    fn objectives(&mut self, root: XmlNode) {
        let objectives =
            cmi5_children(root, "objectives").flat_map(|o| cmi5_children(o, "objective"));
        for (index, node) in objectives.enumerate() {
            let label = format!("objective {}", index + 1);
            self.id(&label, node.attribute("id"));
        }
    }

    fn children(&mut self, parent: XmlNode, depth: usize) -> Vec<Node> {
        let mut out = Vec::new();
        for child in parent.children().filter(|c| c.is_element()) {
            let is_au = is_cmi5(child, "au");
            if !is_au && !is_cmi5(child, "block") {
                continue;
            }
            if self.aus + self.blocks >= MAX_NODES {
                if !self.too_many {
                    self.too_many = true;
                    self.problem(format!(
                        "the course has more than {MAX_NODES} AUs and blocks"
                    ));
                }
                break;
            }
            if depth > MAX_DEPTH {
                if !self.too_deep {
                    self.too_deep = true;
                    self.problem(format!("blocks are nested deeper than {MAX_DEPTH} levels"));
                }
                break;
            }
            if is_au {
                out.push(Node::Au(self.au(child)));
            } else {
                out.push(Node::Block(self.block(child, depth)));
            }
        }
        out
    }

    fn block(&mut self, node: XmlNode, depth: usize) -> Block {
        self.blocks += 1;
        let kind = format!("block {}", self.blocks);
        let (label, title, description, _) = self.texts(node, &kind);
        let id = self.id(&label, node.attribute("id"));
        let children = self.children(node, depth + 1);
        // Section 13.1.2: "A Block consists of one or more AUs."
        if children.is_empty() && !self.too_many && !self.too_deep {
            self.problem(format!("{label}: the block contains no AU or block"));
        }
        Block {
            id,
            title,
            description,
            children,
        }
    }

    fn au(&mut self, node: XmlNode) -> Au {
        self.aus += 1;
        let kind = format!("au {}", self.aus);
        let (label, title, description, _) = self.texts(node, &kind);
        let id = self.id(&label, node.attribute("id"));
        let url = cmi5_child(node, "url").map(text_of).unwrap_or_default();
        if url.is_empty() {
            self.problem(format!("{label}: url is missing"));
        }
        Au {
            id,
            title,
            description,
            url,
            move_on: self.move_on(&label, node),
            mastery_score: self.mastery_score(&label, node),
            launch_method: self.launch_method(&label, node),
            launch_parameters: optional_text(node, "launchParameters"),
            entitlement_key: optional_text(node, "entitlementKey"),
            activity_type: self.activity_type(&label, node),
        }
    }

    fn move_on(&mut self, label: &str, node: XmlNode) -> MoveOn {
        let Some(value) = node.attribute("moveOn").map(str::trim) else {
            return MoveOn::NotApplicable;
        };
        MoveOn::parse(value).unwrap_or_else(|| {
            self.problem(format!(
                "{label}: moveOn {value:?} is not a cmi5 moveOn value"
            ));
            MoveOn::NotApplicable
        })
    }

    fn mastery_score(&mut self, label: &str, node: XmlNode) -> Option<f64> {
        let value = node.attribute("masteryScore")?.trim();
        match parse_decimal(value) {
            Some(score) if (0.0..=1.0).contains(&score) => Some(score),
            _ => {
                let message =
                    format!("{label}: masteryScore {value:?} is not a decimal from 0 to 1");
                self.problem(message);
                None
            }
        }
    }

    fn launch_method(&mut self, label: &str, node: XmlNode) -> LaunchMethod {
        let Some(value) = node.attribute("launchMethod").map(str::trim) else {
            return LaunchMethod::AnyWindow;
        };
        LaunchMethod::parse(value).unwrap_or_else(|| {
            let message = format!("{label}: launchMethod {value:?} is not AnyWindow or OwnWindow");
            self.problem(message);
            LaunchMethod::AnyWindow
        })
    }

    fn activity_type(&mut self, label: &str, node: XmlNode) -> Option<String> {
        let value = node.attribute("activityType")?.trim();
        if !is_absolute_iri(value) {
            self.problem(format!("{label}: activityType {value:?} is not an IRI"));
        }
        Some(value.to_string())
    }
}

/// Trimmed text of the `name` child, or `None` when absent or empty.
fn optional_text(node: XmlNode, name: &str) -> Option<String> {
    cmi5_child(node, name)
        .map(text_of)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
#[path = "structure_tests.rs"]
mod tests;
