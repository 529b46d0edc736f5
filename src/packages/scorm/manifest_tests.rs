use super::*;

const NS12: &str = r#"xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2""#;
const NS2004: &str = r#"xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3""#;

fn files(list: &[&str]) -> HashSet<String> {
    list.iter().map(|f| f.to_string()).collect()
}

fn ok(xml: &str, list: &[&str]) -> Manifest {
    parse(xml.as_bytes(), &files(list)).expect("manifest should parse")
}

fn problems(xml: &str, list: &[&str]) -> Vec<String> {
    parse(xml.as_bytes(), &files(list)).expect_err("manifest should be refused")
}

const F1: &[&str] = &["sco1/index.html"];
const V2: Version = Version::Scorm2004 { edition: 2 };
const V3: Version = Version::Scorm2004 { edition: 3 };
const V4: Version = Version::Scorm2004 { edition: 4 };

fn wrap(items: &str) -> String {
    format!(r#"<organization identifier="ORG">{items}</organization>"#)
}

fn hq(item: &Item) -> (&str, &str) {
    (&item.href, &item.query)
}

/// Asserts that `xml` (given `list` as files) is refused with exactly the problems `want`.
fn refused(xml: &str, list: &[&str], want: &[&str]) {
    let mut got = problems(xml, list);
    let mut want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// Asserts that the 1.2 manifest with item data `data` is refused with just `want`.
fn refused12(data: &str, want: &str) {
    refused(&m12(&org(data), SCO1), F1, &[want]);
}

/// A SCORM 1.2 manifest with the given `<organization>` and `<resource>` elements.
fn m12(orgs: &str, resources: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="M12" version="1.0" {NS12}>
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="ORG">{orgs}</organizations>
  <resources>{resources}</resources>
</manifest>"#
    )
}

/// A 1.2 organization `ORG` holding one item `I1` launching `R1` with extra `data`.
fn org(data: &str) -> String {
    format!(
        r#"<organization identifier="ORG"><title>Course</title><item identifier="I1" identifierref="R1"><title>One</title>{data}</item></organization>"#
    )
}

const SCO1: &str =
    r#"<resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="sco1/index.html"/>"#;

const SINGLE_SCO_12: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.singlesco" version="1.1"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="golf_org">
    <organization identifier="golf_org">
      <title>  Golf Explained  </title>
      <item identifier="item_1" identifierref="golf_res" isvisible="true">
        <title>Playing the Game</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
        <adlcp:datafromlms>  lesson=3;mode=review  </adlcp:datafromlms>
        <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
        <adlcp:timelimitaction>exit,message</adlcp:timelimitaction>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="golf_res" type="webcontent" adlcp:scormtype="sco" href="sco1/index.html"/>
  </resources>
</manifest>"#;

#[test]
fn scorm12_single_sco() {
    let m = ok(SINGLE_SCO_12, &["imsmanifest.xml", "sco1/index.html"]);
    let expected = Item {
        identifier: "item_1".into(),
        title: "Playing the Game".into(),
        resource: "golf_res".into(),
        sco: true,
        href: "sco1/index.html".into(),
        mastery_score: Some(80.0),
        launch_data: Some("lesson=3;mode=review".into()),
        max_time_allowed: Some("00:30:00".into()),
        time_limit_action: Some("exit,message".into()),
        ..Item::default()
    };
    assert_eq!(m.identifier, "com.example.singlesco");
    assert_eq!(m.version, Version::Scorm12);
    assert_eq!(m.title, "Golf Explained");
    assert_eq!(m.items, [expected]);
}

#[test]
fn scorm12_multi_sco_nested_items_and_parameters() {
    let orgs = r#"<organization identifier="ORG"><title>Multi</title>
      <item identifier="MOD1"><title>Module 1</title>
        <item identifier="A" identifierref="RA"><title>Intro</title></item>
        <item identifier="B" identifierref="RB" parameters="?page=2"><title>Part B</title></item>
      </item>
      <item identifier="C" identifierref="RC" parameters="&amp;lang=en#top"/></organization>"#;
    let resources = r#"
      <resource identifier="RA" type="webcontent" adlcp:scormtype="sco" href="sco1/index.html"/>
      <resource identifier="RB" type="webcontent" adlcp:scormtype="sco" href="sco1/index.html"/>
      <resource identifier="RC" type="webcontent" adlcp:scormtype="asset" href="s2/a.html?x=1#f"/>"#;
    let m = ok(&m12(orgs, resources), &["sco1/index.html", "s2/a.html"]);
    let ids: Vec<&str> = m.items.iter().map(|i| i.identifier.as_str()).collect();
    assert_eq!((ids, m.title.as_str()), (vec!["A", "B", "C"], "Multi"));
    assert_eq!(hq(&m.items[0]), ("sco1/index.html", ""));
    assert_eq!(hq(&m.items[1]), ("sco1/index.html", "page=2"));
    assert_eq!(hq(&m.items[2]), ("s2/a.html", "x=1&lang=en"));
    assert_eq!((m.items[2].title.as_str(), m.items[2].sco), ("C", false));
}

const SCORM2004_4TH: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.golf.4th" version="1" xml:base="content/"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="ORG-2">
    <organization identifier="ORG-1"><title>Unused</title><item identifier="U1" identifierref="RES-PLAY"/></organization>
    <organization identifier="ORG-2" adlseq:objectivesGlobalToSystem="false">
      <title>Golf 4th</title>
      <item identifier="PLAY" identifierref="RES-PLAY">
        <title>Playing</title>
        <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
        <adlcp:dataFromLMS>start</adlcp:dataFromLMS>
        <adlcp:timeLimitAction>continue,message</adlcp:timeLimitAction>
        <imsss:sequencing>
          <imsss:limitConditions attemptAbsoluteDurationLimit="PT1H30M"/>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="PRIMARY" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives>
        </imsss:sequencing>
      </item>
      <item identifier="QUIZ" identifierref="RES-QUIZ"><title>Quiz</title>
        <adlcp:completionThreshold completedByMeasure="true"/>
        <imsss:sequencing><imsss:objectives><imsss:primaryObjective satisfiedByMeasure="false">
          <imsss:minNormalizedMeasure>0.9</imsss:minNormalizedMeasure>
        </imsss:primaryObjective></imsss:objectives></imsss:sequencing>
      </item>
      <item identifier="GLOSSARY" identifierref="RES-GLOSSARY"><title>Glossary</title>
        <adlcp:completionThreshold completedByMeasure="false" minProgressMeasure="0.5"/>
      </item>
    </organization>
  </organizations>
  <resources xml:base="golf/">
    <resource identifier="RES-PLAY" type="webcontent" adlcp:scormType="sco" xml:base="play/" href="index.html#intro"/>
    <resource identifier="RES-QUIZ" type="webcontent" adlcp:scormType="sco" href="quiz/quiz.html?mode=test"/>
    <resource identifier="RES-GLOSSARY" type="webcontent" adlcp:scormType="asset" href="glossary.html"/>
  </resources>
</manifest>"#;

const FILES_4TH: [&str; 3] = [
    "content/golf/play/index.html",
    "content/golf/quiz/quiz.html",
    "content/golf/glossary.html",
];

#[test]
fn scorm2004_4th_edition() {
    let m = ok(SCORM2004_4TH, &FILES_4TH);
    assert_eq!((m.version, m.version.as_str()), (V4, "2004-4"));
    assert_eq!(m.title, "Golf 4th");
    let [play, quiz, glossary] = &m.items[..] else {
        panic!("three items: {:?}", m.items)
    };
    assert_eq!(hq(play), ("content/golf/play/index.html", ""));
    assert_eq!(play.completion_threshold, Some(0.75));
    assert_eq!(play.scaled_passing_score, Some(0.6));
    assert_eq!(play.max_time_allowed.as_deref(), Some("PT1H30M"));
    assert_eq!(play.launch_data.as_deref(), Some("start"));
    assert_eq!(play.time_limit_action.as_deref(), Some("continue,message"));
    assert_eq!(hq(quiz), ("content/golf/quiz/quiz.html", "mode=test"));
    assert_eq!(quiz.completion_threshold, Some(1.0));
    assert_eq!(quiz.scaled_passing_score, None);
    assert_eq!((glossary.sco, glossary.completion_threshold), (false, None));
}

#[test]
fn scorm2004_3rd_edition_with_schemaversion() {
    let xml = format!(
        r#"<manifest identifier="M3" {NS2004}>
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations><organization identifier="O"><title>Third</title>
    <item identifier="I" identifierref="R"><title></title>
      <adlcp:completionThreshold>0.8</adlcp:completionThreshold></item></organization></organizations>
  <resources><resource identifier="R" adlcp:SCORMTYPE="Sco" href="./a/b.html"/></resources>
</manifest>"#
    );
    let m = ok(&xml, &["a/b.html"]);
    assert_eq!((m.version, m.version.as_str()), (V3, "2004-3"));
    let item = &m.items[0];
    assert_eq!((item.title.as_str(), item.sco), ("I", true));
    assert_eq!(hq(item), ("a/b.html", ""));
    assert_eq!(item.completion_threshold, Some(0.8));
}

#[test]
fn version_names_and_inference() {
    let version = |schema: &str, ns: &str| {
        let xml = format!(
            r#"<manifest identifier="M" {ns}><metadata>{schema}</metadata><organizations/>
  <resources><resource identifier="R" adlcp:scormtype="sco" href="a.html"/></resources></manifest>"#
        );
        ok(&xml, &["a.html"]).version
    };
    let v = |s: &str| format!("<schemaversion>{s}</schemaversion>");
    assert_eq!(version(&v("CAM 1.3"), NS2004).as_str(), "2004-2");
    assert_eq!(version(&v("2004 2nd Edition"), NS2004), V2);
    assert_eq!(version(&v("2004 4th Edition"), NS2004), V4);
    assert_eq!(version("", NS12), Version::Scorm12);
    assert_eq!(version("", NS2004), V3);
    assert_eq!(Version::Scorm12.as_str(), "1.2");
}

#[test]
fn resource_only_package() {
    let resources = r#"<resource identifier="CSS" adlcp:scormtype="asset" href="style.css"/>
    <resource identifier="SCO-A" adlcp:scormtype="sco" href="a/index.html?x=1"/>
    <resource identifier="SCO-B" adlcp:scormtype="sco" href="b.html"/>"#;
    let m = ok(&m12("", resources), &["a/index.html", "b.html"]);
    let ids: Vec<_> = m
        .items
        .iter()
        .map(|i| (&*i.identifier, &*i.title))
        .collect();
    assert_eq!(ids, [("SCO-A", "SCO-A"), ("SCO-B", "SCO-B")]);
    assert_eq!(hq(&m.items[0]), ("a/index.html", "x=1"));
    assert_eq!((&*m.items[0].resource, m.items[0].sco), ("SCO-A", true));
    assert_eq!(m.title, "SCO-A");
}

#[test]
fn titles_are_trimmed_and_truncated_on_char_boundaries() {
    let title = format!("<title> {} </title>", "é".repeat(250));
    let xml = m12(&org(""), SCO1).replace("<title>One</title>", &title);
    let m = ok(&xml, F1);
    assert_eq!(m.items[0].title, "é".repeat(200));
    assert_eq!(m.title, "Course");
}

#[test]
fn dtd_broken_xml_and_wrong_root_are_refused() {
    let body = m12(&org(""), SCO1).replace(r#"<?xml version="1.0" encoding="UTF-8"?>"#, "");
    let dtd = format!("<?xml version=\"1.0\"?>\n<!DOCTYPE manifest [<!ENTITY x \"y\">]>{body}");
    let want = "imsmanifest.xml has a DTD, which is not accepted";
    refused(&dtd, F1, &[want]);
    let p = problems("<manifest identifier='M'><organizations></manifest>", &[]);
    assert!(p.len() == 1 && p[0].starts_with("imsmanifest.xml is not well-formed XML: "));
    let p = parse(b"<manifest identifier=\"\xff\"/>", &files(&[])).unwrap_err();
    assert!(p.len() == 1 && p[0].starts_with("imsmanifest.xml is not well-formed XML: not UTF-8"));
    let want = "the root element is <package>, not <manifest>";
    refused(&format!("<package {NS12}/>"), &[], &[want]);
}

#[test]
fn unknown_version() {
    let xml = m12(&org(""), SCO1).replace(">1.2</schemaversion>", ">5.0</schemaversion>");
    let want = "unknown SCORM version \"5.0\" in <schemaversion>";
    refused(&xml, F1, &[want]);
    let xml = r#"<manifest identifier="M" xmlns="http://example.com/cp"><organizations/>
  <resources><resource identifier="R" scormtype="sco" href="a.html"/></resources></manifest>"#;
    let want = "unknown SCORM version: no <schemaversion>, no ADL namespace";
    refused(xml, &["a.html"], &[want]);
}

#[test]
fn organization_and_item_problems() {
    let xml = m12(&org(""), SCO1).replace("default=\"ORG\"", "default=\"NOPE\"");
    refused(&xml, F1, &["the default organization NOPE does not exist"]);
    let xml = m12(&org(""), &SCO1.replace("\"R1\"", "\"R2\""));
    let want = "item I1 refers to resource R1, which does not exist";
    refused(&xml, F1, &[want]);
    let xml = m12(&org("<item identifier=\"LEAF\"/>"), SCO1).replace(" identifierref=\"R1\"", "");
    let want = [
        "item LEAF has no identifierref and no items",
        "the package has nothing to launch: no item or SCO resource",
    ];
    refused(&xml, F1, &want);
    let asset = r#"<resource identifier="A" adlcp:scormtype="asset" href="a.html"/>"#;
    refused(&m12("", asset), &["a.html"], &want[1..]);
}

#[test]
fn bad_hrefs_of_referenced_resources_only() {
    let resources = r#"<resource identifier="R0" adlcp:scormtype="sco" href="missing.html"/>
      <resource identifier="R1" adlcp:scormtype="sco" href="../up.html"/>
      <resource identifier="R2" adlcp:scormtype="sco" href="a/%2E%2E/%2e%2e/x.html"/>
      <resource identifier="R3" adlcp:scormtype="sco" href="http://example.com/x.html"/>
      <resource identifier="R4" adlcp:scormtype="sco" href="/x.html"/>
      <resource identifier="R5" adlcp:scormtype="sco"/>
      <resource identifier="UNUSED" adlcp:scormtype="asset" href="../nowhere.html"/>"#;
    let item = |i| format!(r#"<item identifier="I{i}" identifierref="R{i}"/>"#);
    let xml = m12(&wrap(&(0..6).map(item).collect::<String>()), resources);
    let want = [
        "resource R0 (used by item I0): href \"missing.html\" is not a file in the package",
        "resource R1 (used by item I1): href \"../up.html\" has a \"..\" segment",
        "resource R2 (used by item I2): href \"a/%2E%2E/%2e%2e/x.html\" has a \"..\" segment",
        "resource R3 (used by item I3): href \"http://example.com/x.html\" is absolute, not a file in the package",
        "resource R4 (used by item I4): href \"/x.html\" is absolute, not a file in the package",
        "resource R5 (used by item I5): it has no href",
    ];
    refused(&xml, &["index.html", "up.html", "x.html"], &want);
}

#[test]
fn duplicate_identifiers() {
    let orgs = r#"<organization identifier="ORG"><item identifier="I1" identifierref="R1"/>
      <item identifier="I1" identifierref="R1"/></organization><organization identifier="ORG"/>"#;
    let want = [
        "item I1 is defined more than once",
        "organization ORG is defined more than once",
        "resource R1 is defined more than once",
    ];
    refused(&m12(orgs, &format!("{SCO1}{SCO1}")), F1, &want);
}

#[test]
fn out_of_range_numbers() {
    let want = "item I1: masteryscore \"150\" is not a number from 0 to 100";
    refused12("<adlcp:masteryscore>150</adlcp:masteryscore>", want);
    let want = "item I1: masteryscore \"high\" is not a number from 0 to 100";
    refused12("<adlcp:masteryscore>high</adlcp:masteryscore>", want);
    let xml = SCORM2004_4TH
        .replace(">0.6<", ">2<")
        .replace("=\"0.75\"", "=\"1.5\"");
    let want = [
        "item PLAY: minNormalizedMeasure \"2\" is not a number from -1 to 1",
        "item PLAY: completionThreshold \"1.5\" is not a number from 0 to 1",
    ];
    refused(&xml, &FILES_4TH, &want);
}

#[test]
fn limits_on_depth_items_and_problem_count() {
    let nest = |inner: String, i: i32| format!(r#"<item identifier="D{i}">{inner}</item>"#);
    let deep = (0..40).fold(String::new(), nest);
    refused12(&deep, "item D9 has items nested more than 32 deep");
    let item = |i| format!(r#"<item identifier="X{i}" identifierref="R1"/>"#);
    let items: String = (0..10_001).map(item).collect();
    let xml = m12(&wrap(&items), SCO1);
    refused(&xml, F1, &["the manifest has more than 10000 items"]);
    let items: String = (0..150).map(item).collect();
    let xml = m12(&wrap(&items), "");
    let p = problems(&xml, &[]);
    assert_eq!(p.len(), 101);
    assert_eq!(p[0], "item X0 refers to resource R1, which does not exist");
    assert_eq!(p[100], "… and 50 more problems");
}

#[test]
fn several_problems_are_reported_at_once() {
    let orgs = r#"<organization identifier="ORG"><title>T</title>
      <item identifier="A" identifierref="R1"><adlcp:masteryscore>-5</adlcp:masteryscore></item>
      <item identifier="B" identifierref="GONE"/><item identifier="A" identifierref="R2"/></organization>"#;
    let resources =
        format!(r#"{SCO1}<resource identifier="R2" adlcp:scormtype="sco" href="no.html"/>"#);
    let want = [
        "item A: masteryscore \"-5\" is not a number from 0 to 100",
        "item B refers to resource GONE, which does not exist",
        "item A is defined more than once",
        "resource R2 (used by item A): href \"no.html\" is not a file in the package",
    ];
    refused(&m12(orgs, &resources), F1, &want);
}

#[test]
fn query_merging_and_url_joining() {
    assert_eq!(merge_query("", "?a=1"), "a=1");
    assert_eq!(merge_query("", "&a=1"), "a=1");
    assert_eq!(merge_query("x=1", "?a=1#f"), "x=1&a=1");
    assert_eq!(merge_query("x=1", "#f"), "x=1");
    assert_eq!(join("a/b/", "c.html"), "a/b/c.html");
    assert_eq!(join("a/b", "c.html"), "a/c.html");
    assert!(is_absolute("mailto:x") && is_absolute("\\x") && !is_absolute("a/b:c.html"));
}
