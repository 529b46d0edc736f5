//! Parser for SCORM 1.2 and SCORM 2004 (2nd, 3rd and 4th edition) `imsmanifest.xml` files.
//!
//! Elements and attributes are matched by local name (case-insensitively), whatever their
//! namespace, because real packages use many namespace URIs and spellings.

use std::collections::{HashMap, HashSet};

use percent_encoding::percent_decode_str;
use roxmltree::{Document, Node, ParsingOptions};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const MAX_PROBLEMS: usize = 100;
const MAX_DEPTH: usize = 32;
const MAX_ITEMS: usize = 10_000;
const MAX_TITLE_CHARS: usize = 200;

/// The SCORM version a manifest is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SCORM 1.2.
    Scorm12,
    /// SCORM 2004, `edition` 2, 3 or 4.
    Scorm2004 { edition: u8 },
}

impl Version {
    /// A short name for the version: `"1.2"`, `"2004-2"`, `"2004-3"` or `"2004-4"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Scorm12 => "1.2",
            Version::Scorm2004 { edition: 2 } => "2004-2",
            Version::Scorm2004 { edition: 3 } => "2004-3",
            Version::Scorm2004 { .. } => "2004-4",
        }
    }

    /// The version [`Self::as_str`] named.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "1.2" => Some(Version::Scorm12),
            "2004-2" => Some(Version::Scorm2004 { edition: 2 }),
            "2004-3" => Some(Version::Scorm2004 { edition: 3 }),
            "2004-4" => Some(Version::Scorm2004 { edition: 4 }),
            _ => None,
        }
    }
}

/// A parsed, checked manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The `identifier` of `<manifest>`.
    pub identifier: String,
    /// The SCORM version.
    pub version: Version,
    /// The chosen organization's title, else the first item's title, else the identifier.
    pub title: String,
    /// The launchable items in document order (depth-first); never empty.
    pub items: Vec<Item>,
}

/// A launchable `<item>` (one with an `identifierref`), or a SCO of a resource-only package.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// The item's identifier (the resource's identifier for a resource-only package).
    pub identifier: String,
    /// The trimmed title (at most 200 characters), or the identifier when it has none.
    pub title: String,
    /// The identifier of the resource the item launches.
    pub resource: String,
    /// Whether the resource is a SCO (`scormtype="sco"`) rather than an asset.
    pub sco: bool,
    /// The percent-decoded launch path in the package (`xml:base` applied, no query/fragment).
    pub href: String,
    /// The query to launch with (no leading `?`): the href's query and the item's `parameters`.
    pub query: String,
    /// SCORM 1.2 `<adlcp:masteryscore>`, from 0 to 100.
    pub mastery_score: Option<f64>,
    /// SCORM 2004 `minNormalizedMeasure` of a primary objective satisfied by measure (-1 to 1).
    pub scaled_passing_score: Option<f64>,
    /// SCORM 2004 `<adlcp:completionThreshold>`, from 0 to 1.
    pub completion_threshold: Option<f64>,
    /// `<adlcp:datafromlms>` / `<adlcp:dataFromLMS>`, surrounding whitespace trimmed.
    pub launch_data: Option<String>,
    /// SCORM 1.2 `<adlcp:maxtimeallowed>`, or SCORM 2004 `attemptAbsoluteDurationLimit`.
    pub max_time_allowed: Option<String>,
    /// `<adlcp:timelimitaction>` / `<adlcp:timeLimitAction>`.
    pub time_limit_action: Option<String>,
}

/// Parses and checks an `imsmanifest.xml`.
///
/// `files` holds the paths stored in the package's ZIP ('/' separated, no leading '/').
/// On failure every problem found is returned (the first 100, then a final "… and N more
/// problems" line), each naming the items and resources involved.
pub fn parse(xml: &[u8], files: &HashSet<String>) -> Result<Manifest, Vec<String>> {
    let bad = |e: &dyn std::fmt::Display| format!("imsmanifest.xml is not well-formed XML: {e}");
    let text = std::str::from_utf8(xml).map_err(|e| vec![bad(&format!("not UTF-8 ({e})"))])?;
    let mut options = ParsingOptions::default();
    (options.allow_dtd, options.nodes_limit) = (false, 2_000_000);
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => "imsmanifest.xml has a DTD, which is not accepted".into(),
        e => bad(&e),
    });
    let root = doc.as_ref().map_err(|e| vec![e.clone()])?.root_element();
    if !root.tag_name().name().eq_ignore_ascii_case("manifest") {
        let name = root.tag_name().name();
        let problem = format!("the root element is <{name}>, not <manifest>");
        return Err(vec![problem]);
    }
    let resources = child(root, "resources");
    let mut ctx = Ctx {
        version: Version::Scorm12,
        files,
        base: join(xml_base(root), resources.map_or("", xml_base)),
        resources: HashMap::new(),
        checked: HashMap::new(),
        items: Vec::new(),
        ids: HashSet::new(),
        item_count: 0,
        candidates: 0,
        problems: Vec::new(),
    };
    let manifest = ctx.manifest(root, resources);
    let mut problems = ctx.problems;
    if problems.len() > MAX_PROBLEMS {
        let more = format!("… and {} more problems", problems.len() - MAX_PROBLEMS);
        problems.truncate(MAX_PROBLEMS);
        problems.push(more);
    }
    problems.is_empty().then_some(manifest).ok_or(problems)
}

type Bound = (&'static str, f64, f64); // A number's name and the range it must be in.

struct Ctx<'a, 'i> {
    version: Version,
    files: &'a HashSet<String>,
    base: String,
    resources: HashMap<&'a str, Node<'a, 'i>>,
    /// Referenced resources already checked, as item templates.
    checked: HashMap<&'a str, Option<Item>>,
    /// Identifiers seen so far, with their kind ("item", "organization", "resource").
    ids: HashSet<(&'static str, &'a str)>,
    items: Vec<Item>,
    item_count: usize,
    /// Items with an identifierref, or SCO resources of a resource-only package.
    candidates: usize,
    problems: Vec<String>,
}

impl<'a, 'i> Ctx<'a, 'i> {
    fn push(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn manifest(&mut self, root: Node<'a, 'i>, resources: Option<Node<'a, 'i>>) -> Manifest {
        self.version = detect_version(root).unwrap_or_else(|problem| {
            self.push(problem);
            Version::Scorm2004 { edition: 4 }
        });
        let identifier = id_of(root).to_string();
        if identifier.is_empty() {
            self.push("the <manifest> has no identifier".into());
        }
        for res in resources.into_iter().flat_map(|r| children(r, "resource")) {
            if let Some(id) = self.unique_id(res, "resource") {
                self.resources.insert(id, res);
            }
        }
        let orgs = child(root, "organizations").filter(|o| child(*o, "organization").is_some());
        let org_title = match orgs {
            Some(orgs) => self.organizations(orgs),
            None => self.resource_package(resources),
        };
        let items = std::mem::take(&mut self.items);
        if self.item_count > MAX_ITEMS {
            self.push(format!("the manifest has more than {MAX_ITEMS} items"));
        }
        if self.candidates == 0 {
            self.push("the package has nothing to launch: no item or SCO resource".into());
        }
        let title = org_title.or_else(|| items.first().map(|i| i.title.clone()));
        Manifest {
            title: truncate(title.as_deref().unwrap_or(&identifier), MAX_TITLE_CHARS),
            identifier,
            version: self.version,
            items,
        }
    }

    /// Collects the items of the default organization (else the first); returns its title.
    fn organizations(&mut self, parent: Node<'a, 'i>) -> Option<String> {
        let orgs: Vec<Node> = children(parent, "organization").collect();
        for org in &orgs {
            self.unique_id(*org, "organization");
        }
        let default = attr(parent, "default").unwrap_or("");
        let found = orgs.iter().find(|o| id_of(**o) == default);
        if found.is_none() && !default.is_empty() {
            let default = truncate(default, 100);
            self.push(format!("the default organization {default} does not exist"));
        }
        let org = *found.or(orgs.first())?;
        self.walk(org, 1);
        child_text(org, "title")
    }

    fn walk(&mut self, parent: Node<'a, 'i>, depth: usize) {
        for node in children(parent, "item") {
            self.item_count += 1;
            if self.item_count > MAX_ITEMS {
                return;
            }
            self.unique_id(node, "item");
            let id = id_of(node);
            let has_children = child(node, "item").is_some();
            if let Some(res_id) = attr(node, "identifierref") {
                self.candidates += 1;
                let item = self.item(node, id, res_id);
                self.items.extend(item);
            } else if !has_children {
                self.push(format!("item {id} has no identifierref and no items"));
            }
            if has_children && depth >= MAX_DEPTH {
                let msg = format!("item {id} has items nested more than {MAX_DEPTH} deep");
                self.push(msg);
            } else if has_children {
                self.walk(node, depth + 1);
            }
        }
    }

    fn item(&mut self, node: Node<'a, 'i>, id: &str, res_id: &'a str) -> Option<Item> {
        let resource = self.resource(res_id, &format!("item {id}"));
        let (mut mastery, mut passing, mut threshold) = (None, None, None);
        let max_time;
        if self.version == Version::Scorm12 {
            let text = child_text(node, "masteryscore");
            mastery = self.number(id, text.as_deref(), ("masteryscore", 0.0, 100.0));
            max_time = child_text(node, "maxtimeallowed");
        } else {
            let seq = child(node, "sequencing");
            let objective = path(seq, &["objectives", "primaryObjective"])
                .filter(|o| is_true(attr(*o, "satisfiedByMeasure")));
            if let Some(objective) = objective {
                // IMS SS: minNormalizedMeasure defaults to 1.0.
                let text = child_text(objective, "minNormalizedMeasure");
                let text = text.as_deref().unwrap_or("1.0");
                passing = self.number(id, Some(text), ("minNormalizedMeasure", -1.0, 1.0));
            }
            let limits = path(seq, &["limitConditions"]);
            max_time =
                limits.and_then(|l| attr(l, "attemptAbsoluteDurationLimit").map(String::from));
            let element = child(node, "completionThreshold");
            let text = if self.version == (Version::Scorm2004 { edition: 4 }) {
                let by_measure = element.filter(|t| is_true(attr(*t, "completedByMeasure")));
                by_measure.map(|t| attr(t, "minProgressMeasure").unwrap_or("1.0").to_string())
            } else {
                child_text(node, "completionThreshold")
            };
            threshold = self.number(id, text.as_deref(), ("completionThreshold", 0.0, 1.0));
        }
        let resource = resource?;
        let title = child_text(node, "title").unwrap_or_else(|| id.into());
        Some(Item {
            identifier: id.into(),
            title: truncate(&title, MAX_TITLE_CHARS),
            query: merge_query(&resource.query, attr(node, "parameters").unwrap_or("")),
            mastery_score: mastery,
            scaled_passing_score: passing,
            completion_threshold: threshold,
            launch_data: child_text(node, "datafromlms"),
            max_time_allowed: max_time,
            time_limit_action: child_text(node, "timelimitaction"),
            ..resource
        })
    }

    /// A package without organizations: every SCO resource is an item.
    fn resource_package(&mut self, resources: Option<Node<'a, 'i>>) -> Option<String> {
        for node in resources.into_iter().flat_map(|r| children(r, "resource")) {
            let id = id_of(node);
            if is_sco(node) && self.resources.get(id) == Some(&node) {
                self.candidates += 1;
                let item = self.resource(id, "the package");
                self.items.extend(item);
            }
        }
        None
    }

    /// Checks resource `id` once, reporting its problems on first use (by `user`). Returns an
    /// item that launches it.
    fn resource(&mut self, id: &'a str, user: &str) -> Option<Item> {
        let Some(&node) = self.resources.get(id) else {
            let id = truncate(id, 100);
            let msg = format!("{user} refers to resource {id}, which does not exist");
            self.push(msg);
            return None;
        };
        if let Some(done) = self.checked.get(id) {
            return done.clone();
        }
        let result = self.check_resource(node, id);
        if let Err(problem) = &result {
            self.push(format!("resource {id} (used by {user}): {problem}"));
        }
        self.checked.insert(id, result.clone().ok());
        result.ok()
    }

    fn check_resource(&self, node: Node, id: &str) -> Result<Item, String> {
        let href = attr(node, "href").ok_or_else(|| "it has no href".to_string())?;
        let full = join(&join(&self.base, xml_base(node)), href);
        let err = |what: &str| format!("href \"{}\" {what}", truncate(&full, 100));
        let no_fragment = full.split('#').next().unwrap_or("");
        let (path, query) = no_fragment.split_once('?').unwrap_or((no_fragment, ""));
        if is_absolute(path) {
            return Err(err("is absolute, not a file in the package"));
        }
        let Ok(decoded) = percent_decode_str(path).decode_utf8() else {
            return Err(err("is not UTF-8 once percent-decoded"));
        };
        let segments = decoded.split('/').filter(|s| !s.is_empty() && *s != ".");
        if segments.clone().any(|s| s == "..") {
            return Err(err("has a \"..\" segment"));
        }
        let href = segments.collect::<Vec<_>>().join("/");
        if !self.files.contains(&href) {
            return Err(err("is not a file in the package"));
        }
        let mut item = Item::default();
        (item.identifier, item.title, item.resource) = (id.into(), truncate(id, 200), id.into());
        (item.sco, item.href, item.query) = (is_sco(node), href, query.into());
        Ok(item)
    }

    /// Parses `text` (when present) as a number from `lo` to `hi`, reporting it otherwise.
    fn number(&mut self, id: &str, text: Option<&str>, (what, lo, hi): Bound) -> Option<f64> {
        let text = text?;
        let value = text.parse::<f64>().ok().filter(|v| (lo..=hi).contains(v));
        if value.is_none() {
            let (text, range) = (truncate(text, 100), format!("a number from {lo} to {hi}"));
            self.push(format!("item {id}: {what} \"{text}\" is not {range}"));
        }
        value
    }

    /// Reports a missing or repeated identifier; returns the identifier when it is new.
    fn unique_id(&mut self, node: Node<'a, 'i>, kind: &'static str) -> Option<&'a str> {
        let id = id_of(node);
        if id.is_empty() {
            self.push(format!("a <{kind}> has no identifier"));
        } else if !self.ids.insert((kind, id)) {
            self.push(format!("{kind} {id} is defined more than once"));
        } else {
            return Some(id);
        }
        None
    }
}

/// Reads `<metadata>/<schemaversion>`, else guesses from the root's namespaces.
fn detect_version(root: Node) -> Result<Version, String> {
    let declared = child(root, "metadata").and_then(|m| child_text(m, "schemaversion"));
    let declares = |part: &str| root.namespaces().any(|n| n.uri().contains(part));
    match declared.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("1.2") => Ok(Version::Scorm12),
        Some("cam 1.3" | "2004 2nd edition") => Ok(Version::Scorm2004 { edition: 2 }),
        Some("2004 3rd edition") => Ok(Version::Scorm2004 { edition: 3 }),
        Some("2004 4th edition") => Ok(Version::Scorm2004 { edition: 4 }),
        Some(v) => Err(format!("unknown SCORM version \"{v}\" in <schemaversion>")),
        None if declares("adlcp_rootv1p2") => Ok(Version::Scorm12),
        None if declares("adlcp_v1p3") => Ok(Version::Scorm2004 { edition: 3 }),
        None => Err("unknown SCORM version: no <schemaversion>, no ADL namespace".into()),
    }
}

/// Merges an href's query with an item's `parameters` (SCORM CAM rules), dropping fragments.
fn merge_query(href_query: &str, parameters: &str) -> String {
    let params = parameters.trim_start_matches(['?', '&']);
    let params = params.split('#').next().unwrap_or("");
    let parts = [href_query, params].into_iter().filter(|p| !p.is_empty());
    parts.collect::<Vec<_>>().join("&")
}

/// Resolves `rel` against `base` like a URL path: the base's last segment is replaced.
fn join(base: &str, rel: &str) -> String {
    let (base, rel) = (base.trim(), rel.trim());
    if rel.is_empty() {
        return base.to_string();
    }
    match base.rfind('/') {
        Some(i) if !is_absolute(rel) => format!("{}{rel}", &base[..=i]),
        _ => rel.to_string(),
    }
}

/// Whether `s` starts with '/' or '\' or has a URL scheme such as `http:`.
fn is_absolute(s: &str) -> bool {
    let scheme = s.split_once(':').map_or("", |(scheme, _)| scheme);
    let scheme_char = |c: char| c.is_ascii_alphanumeric() || "+-.".contains(c);
    let alpha = scheme.starts_with(|c: char| c.is_ascii_alphabetic());
    s.starts_with(['/', '\\']) || alpha && scheme.chars().all(scheme_char)
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    let named = move |c: &Node| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name);
    node.children().filter(named)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

fn path<'a, 'i>(node: Option<Node<'a, 'i>>, names: &[&'static str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(node?, |n, name| child(n, name))
}

/// The trimmed, non-empty attribute with local name `name` (case-insensitive), any namespace.
fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    let mut attributes = node.attributes();
    let value = attributes
        .find(|a| a.name().eq_ignore_ascii_case(name))?
        .value()
        .trim();
    Some(value).filter(|v| !v.is_empty())
}

fn id_of<'a>(node: Node<'a, '_>) -> &'a str {
    attr(node, "identifier").unwrap_or("")
}

fn xml_base<'a>(node: Node<'a, '_>) -> &'a str {
    node.attribute((XML_NS, "base")).unwrap_or("")
}

fn is_sco(resource: Node) -> bool {
    attr(resource, "scormtype").is_some_and(|t| t.eq_ignore_ascii_case("sco"))
}

fn is_true(value: Option<&str>) -> bool {
    matches!(value, Some("true" | "1"))
}

/// The trimmed text of the first child element `name`, when there is one and it is not empty.
fn child_text(node: Node, name: &'static str) -> Option<String> {
    let texts = child(node, name)?
        .descendants()
        .filter_map(|n| n.is_text().then(|| n.text())?);
    Some(texts.collect::<String>().trim().to_string()).filter(|t| !t.is_empty())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
