//! Tests of `structure.rs`.
use super::*;

const VALID: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
             xmlns:x="https://example.com/vendor">
  <course id="https://example.com/course">
<title><langstring lang="en-US"> Geology </langstring><langstring lang="fr">Géologie</langstring></title>
<description><langstring lang="en-US">Rocks</langstring></description>
  </course>
  <objectives>
<objective id="https://example.com/objective/1">
  <title><langstring>Objective</langstring></title>
  <description><langstring>Learn</langstring></description>
</objective>
  </objectives>
  <block id="https://example.com/block/1">
<title><langstring>Block 1</langstring></title>
<description><langstring>First block</langstring></description>
<objectives><objective idref="https://example.com/objective/1"/></objectives>
<au id="https://example.com/au/1" moveOn="CompletedAndPassed" masteryScore="0.8"
    launchMethod="OwnWindow" activityType="http://adlnet.gov/expapi/activities/media">
  <title><langstring>Lesson 1</langstring></title>
  <description><langstring>The first lesson</langstring></description>
  <url> lesson1/index.html </url>
  <launchParameters> Start=1,QuizMode=1 </launchParameters>
  <entitlementKey> xyz-123 </entitlementKey>
  <x:extra>ignored</x:extra>
</au>
<au id="https://example.com/au/2" moveOn="Passed">
  <title><langstring>Lesson 2</langstring></title>
  <url>https://cdn.example.com/lesson2.html</url>
</au>
  </block>
  <au id="https://example.com/au/3">
<title><langstring>Final</langstring></title>
<description><langstring>Wrap up</langstring></description>
<url>final.html</url>
  </au>
</courseStructure>"#;

fn problems(xml: &str) -> Vec<String> {
    match parse(xml.as_bytes()) {
        Ok(course) => panic!("expected problems, got {course:?}"),
        Err(problems) => problems,
    }
}

fn assert_problem(xml: &str, needle: &str) {
    let found = problems(xml);
    assert!(
        found.iter().any(|p| p.contains(needle)),
        "{needle:?} not in {found:?}"
    );
}

/// A course with one AU whose element text is `au`.
fn with_au(au: &str) -> String {
    format!(
        r#"<courseStructure xmlns="{NAMESPACE}">
  <course id="https://example.com/c"><title><langstring>C</langstring></title></course>
  {au}
</courseStructure>"#
    )
}

fn au(attributes: &str, body: &str) -> String {
    with_au(&format!(
        r#"<au id="https://example.com/a" {attributes}><title><langstring>Lesson 2</langstring></title>{body}</au>"#
    ))
}

#[test]
fn parses_a_nested_course() {
    let course = parse(VALID.as_bytes()).expect("valid course");
    assert_eq!(course.id, "https://example.com/course");
    assert_eq!(course.title, "Geology");
    assert_eq!(course.description, "Rocks");
    assert_eq!(course.language.as_deref(), Some("en-US"));
    assert_eq!(course.children.len(), 2);
    let Node::Block(block) = &course.children[0] else {
        panic!("expected a block")
    };
    assert_eq!(block.id, "https://example.com/block/1");
    assert_eq!(block.title, "Block 1");
    assert_eq!(block.description, "First block");
    assert_eq!(block.children.len(), 2);
    let aus = course.aus();
    let ids: Vec<&str> = aus.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "https://example.com/au/1",
            "https://example.com/au/2",
            "https://example.com/au/3"
        ]
    );
    let first = aus[0];
    assert_eq!(first.title, "Lesson 1");
    assert_eq!(first.description, "The first lesson");
    assert_eq!(first.url, "lesson1/index.html");
    assert_eq!(first.move_on, MoveOn::CompletedAndPassed);
    assert_eq!(first.mastery_score, Some(0.8));
    assert_eq!(first.launch_method, LaunchMethod::OwnWindow);
    assert_eq!(
        first.launch_parameters.as_deref(),
        Some("Start=1,QuizMode=1")
    );
    assert_eq!(first.entitlement_key.as_deref(), Some("xyz-123"));
    assert_eq!(
        first.activity_type.as_deref(),
        Some("http://adlnet.gov/expapi/activities/media")
    );
    let second = aus[1];
    assert_eq!(second.move_on, MoveOn::Passed);
    assert_eq!(second.description, "");
    assert_eq!(second.launch_method, LaunchMethod::AnyWindow);
    assert_eq!(second.mastery_score, None);
    assert_eq!(second.launch_parameters, None);
    assert_eq!(aus[2].move_on, MoveOn::NotApplicable);
}

#[test]
fn accepts_no_namespace() {
    let xml = VALID.replace(
        r#" xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd""#,
        "",
    );
    assert_eq!(parse(xml.as_bytes()).map(|c| c.aus().len()), Ok(3));
}

#[test]
fn enum_spellings_round_trip() {
    for m in [
        MoveOn::Passed,
        MoveOn::Completed,
        MoveOn::CompletedAndPassed,
        MoveOn::CompletedOrPassed,
        MoveOn::NotApplicable,
    ] {
        assert_eq!(MoveOn::parse(m.as_str()), Some(m));
    }
    for l in [LaunchMethod::AnyWindow, LaunchMethod::OwnWindow] {
        assert_eq!(LaunchMethod::parse(l.as_str()), Some(l));
    }
    assert_eq!(MoveOn::parse("passed"), None);
    assert_eq!(LaunchMethod::parse("NewWindow"), None);
}

#[test]
fn refuses_non_utf8() {
    assert_eq!(
        parse(b"<courseStructure>\xff</courseStructure>"),
        Err(one("the file is not valid UTF-8"))
    );
}

#[test]
fn refuses_malformed_xml() {
    assert_problem("<courseStructure><course>", "not well-formed XML");
}

#[test]
fn refuses_billion_laughs() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<courseStructure>&lol9;</courseStructure>"#;
    assert_eq!(problems(xml), one("a DTD is not allowed"));
}

#[test]
fn refuses_an_empty_dtd() {
    let xml = format!("<!DOCTYPE courseStructure>{}", with_au(""));
    assert_eq!(problems(&xml), one("a DTD is not allowed"));
}

#[test]
fn refuses_a_foreign_root() {
    assert_problem("<course/>", "root element");
    assert_problem(r#"<courseStructure xmlns="urn:other"/>"#, "root element");
}

#[test]
fn refuses_a_missing_course() {
    let xml = format!(r#"<courseStructure xmlns="{NAMESPACE}"></courseStructure>"#);
    let found = problems(&xml);
    assert!(
        found.contains(&"there is no course element".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"the course contains no AU".to_string()),
        "{found:?}"
    );
}

#[test]
fn refuses_a_course_without_id_or_title() {
    let xml = format!(r#"<courseStructure xmlns="{NAMESPACE}"><course/></courseStructure>"#);
    let found = problems(&xml);
    assert!(
        found.contains(&"course: title is missing".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"course: id is missing".to_string()),
        "{found:?}"
    );
}

#[test]
fn refuses_a_course_without_au() {
    assert_eq!(problems(&with_au("")), one("the course contains no AU"));
}

#[test]
fn refuses_ids_that_are_not_iris() {
    let found = problems(&with_au(
        r#"<au id="x"><title><langstring>Lesson 1</langstring></title><url>a</url></au>
           <au id="foo"><title><langstring>Lesson 2</langstring></title><url>a</url></au>
           <au id="http://a b"><title><langstring>Lesson 3</langstring></title><url>a</url></au>
           <au id=":x"><title><langstring>Lesson 4</langstring></title><url>a</url></au>
           <au id="1a:x"><title><langstring>Lesson 5</langstring></title><url>a</url></au>
           <au id="urn:"><title><langstring>Lesson 6</langstring></title><url>a</url></au>"#,
    ));
    assert_eq!(found.len(), 6, "{found:?}");
    assert_eq!(found[1], r#"au 2 ("Lesson 2"): id "foo" is not an IRI"#);
}

#[test]
fn refuses_missing_au_and_block_ids() {
    let found = problems(&with_au(
        r#"<block><title><langstring>B</langstring></title>
             <au><title><langstring>A</langstring></title><url>a</url></au></block>"#,
    ));
    assert_eq!(
        found,
        [
            r#"block 1 ("B"): id is missing"#,
            r#"au 1 ("A"): id is missing"#
        ]
    );
}

#[test]
fn refuses_duplicate_ids_across_kinds() {
    let found = problems(&with_au(
        r#"<objectives><objective id="https://example.com/c"/></objectives>
           <block id="https://example.com/a"><title><langstring>B</langstring></title>
             <au id="https://example.com/a"><title><langstring>A</langstring></title><url>a</url></au></block>"#,
    ));
    assert_eq!(
        found,
        [
            r#"objective 1: id "https://example.com/c" is already used by course ("C")"#,
            r#"au 1 ("A"): id "https://example.com/a" is already used by block 1 ("B")"#,
        ]
    );
}

#[test]
fn refuses_a_missing_or_empty_url() {
    assert_problem(&au("", ""), r#"au 1 ("Lesson 2"): url is missing"#);
    assert_problem(&au("", "<url>  </url>"), "url is missing");
}

#[test]
fn refuses_a_bad_move_on() {
    assert_problem(
        &au(r#"moveOn="passed""#, "<url>a</url>"),
        r#"moveOn "passed" is not"#,
    );
}

#[test]
fn checks_the_mastery_score() {
    for ok in ["0", "1", "1.0", "0.8500", ".5"] {
        let xml = au(&format!(r#"masteryScore="{ok}""#), "<url>a</url>");
        assert!(parse(xml.as_bytes()).is_ok(), "{ok}");
    }
    for bad in ["1.01", "-0.1", "abc", "1e-1", "NaN", "inf", "", "."] {
        let xml = au(&format!(r#"masteryScore="{bad}""#), "<url>a</url>");
        assert_problem(&xml, "is not a decimal from 0 to 1");
    }
}

#[test]
fn refuses_a_bad_launch_method() {
    assert_problem(
        &au(r#"launchMethod="NewWindow""#, "<url>a</url>"),
        "launchMethod \"NewWindow\"",
    );
}

#[test]
fn refuses_a_bad_activity_type() {
    assert_problem(
        &au(r#"activityType="media""#, "<url>a</url>"),
        "activityType \"media\" is not an IRI",
    );
}

#[test]
fn refuses_a_missing_au_title() {
    let xml = with_au(r#"<au id="https://example.com/a"><url>a</url></au>"#);
    assert_eq!(problems(&xml), one("au 1: title is missing"));
}

#[test]
fn refuses_a_missing_block_title() {
    let xml = with_au(
        r#"<block id="https://example.com/b"><au id="https://example.com/a"><title><langstring>A</langstring></title><url>a</url></au></block>"#,
    );
    assert_eq!(problems(&xml), one("block 1: title is missing"));
}

#[test]
fn refuses_an_empty_block() {
    let xml = with_au(
        r#"<block id="https://example.com/b"><title><langstring>B</langstring></title></block>
           <au id="https://example.com/a"><title><langstring>A</langstring></title><url>a</url></au>"#,
    );
    assert_eq!(
        problems(&xml),
        one(r#"block 1 ("B"): the block contains no AU or block"#)
    );
}

fn nested(depth: usize) -> String {
    let mut inner = r#"<au id="https://example.com/a"><title><langstring>A</langstring></title><url>a</url></au>"#.to_string();
    for level in 0..depth {
        inner = format!(
            r#"<block id="https://example.com/b{level}"><title><langstring>B</langstring></title>{inner}</block>"#
        );
    }
    with_au(&inner)
}

#[test]
fn limits_the_nesting() {
    // 31 blocks put the AU at depth 32, which is still accepted.
    assert!(parse(nested(31).as_bytes()).is_ok());
    assert_eq!(
        problems(&nested(32)),
        one("blocks are nested deeper than 32 levels")
    );
}

#[test]
fn limits_the_number_of_nodes() {
    let one_au = |i: usize| {
        format!(
            r#"<au id="https://example.com/a{i}"><title><langstring>A</langstring></title><url>a</url></au>"#
        )
    };
    let many: String = (0..10_000).map(one_au).collect();
    assert_eq!(
        parse(with_au(&many).as_bytes()).map(|c| c.aus().len()),
        Ok(10_000)
    );
    let too_many: String = (0..10_001).map(one_au).collect();
    assert_eq!(
        problems(&with_au(&too_many)),
        one("the course has more than 10000 AUs and blocks")
    );
}

#[test]
fn caps_the_number_of_problems() {
    let bad: String = (0..150)
        .map(|_| r#"<au id="x"><title><langstring>A</langstring></title><url>a</url></au>"#)
        .collect();
    let found = problems(&with_au(&bad));
    assert_eq!(found.len(), MAX_PROBLEMS + 1);
    assert_eq!(found[MAX_PROBLEMS], "... and 50 more problems");
}

#[test]
fn keeps_the_url_as_written() {
    let course = parse(au("", "<url>../x y?a=1</url>").as_bytes()).expect("valid");
    assert_eq!(course.aus()[0].url, "../x y?a=1");
}
