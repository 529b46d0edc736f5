//! Tests of the glTF validator: built inputs, hostile ones, and no-panic fuzzing.
use super::*;

/// Test JSON is written with single quotes to keep it readable.
const TRIANGLE: &str = "{'asset':{'version':'2.0','generator':'caravan-test'},
    'scene':0,'scenes':[{'nodes':[0]}],'nodes':[{'mesh':0}],
    'meshes':[{'primitives':[{'attributes':{'POSITION':0}}]}],
    'buffers':[{'byteLength':36}],
    'bufferViews':[{'buffer':0,'byteOffset':0,'byteLength':36}],
    'accessors':[{'bufferView':0,'componentType':5126,'count':3,'type':'VEC3'}]}";

fn q(s: &str) -> String {
    s.replace('\'', "\"")
}

fn chunk(out: &mut Vec<u8>, kind: u32, data: &[u8], pad: u8) {
    let mut data = data.to_vec();
    data.resize(data.len().next_multiple_of(4), pad);
    out.extend((data.len() as u32).to_le_bytes());
    out.extend(kind.to_le_bytes());
    out.extend(data);
}

fn glb(json: &str, bin: Option<&[u8]>) -> Vec<u8> {
    let mut out = b"glTF\x02\x00\x00\x00\x00\x00\x00\x00".to_vec();
    chunk(&mut out, CHUNK_JSON, q(json).as_bytes(), b' ');
    if let Some(bin) = bin {
        chunk(&mut out, CHUNK_BIN, bin, 0);
    }
    let len = out.len() as u32;
    out[8..12].copy_from_slice(&len.to_le_bytes());
    out
}

fn triangle() -> Vec<u8> {
    let floats = [0f32, 0., 0., 1., 0., 0., 0., 1., 0.];
    let bin: Vec<u8> = floats.iter().flat_map(|f| f.to_le_bytes()).collect();
    glb(TRIANGLE, Some(&bin))
}

fn glb_err(json: &str) -> String {
    let bin = [0u8; 36];
    let err = inspect_glb(&glb(json, Some(&bin))).unwrap_err();
    assert_eq!(err.code(), "gltf-invalid");
    err.to_string()
}

fn json_err(json: &str) -> GltfError {
    inspect_gltf_json(q(json).as_bytes()).unwrap_err()
}

fn with_image(image: &str) -> String {
    format!("{{'asset':{{'version':'2.0'}},'images':[{image}]}}")
}

#[test]
fn valid_triangle_glb() {
    let summary = inspect_glb(&triangle()).unwrap();
    let want = GltfSummary {
        version: "2.0".into(),
        generator: Some("caravan-test".into()),
        mesh_count: 1,
        node_count: 1,
        image_count: 0,
        buffer_count: 1,
        has_bin_chunk: true,
        external_uris: vec![],
    };
    assert_eq!(summary, want);
}

#[test]
fn valid_gltf_with_external_files() {
    let json = "{'asset':{'version':'2.0'},
        'buffers':[{'uri':'model.bin','byteLength':1024},
                   {'uri':'data:application/octet-stream;base64,AAECAw==','byteLength':4}],
        'images':[{'uri':'tex.png'},{'uri':'./tex.png'},{'uri':'maps/a%20b.png'},
                  {'uri':'data:image/png;base64,iVBORw0KGgo='}]}";
    let summary = inspect_gltf_json(format!("\u{FEFF}{}", q(json)).as_bytes()).unwrap();
    assert_eq!(
        summary.external_uris,
        ["model.bin", "tex.png", "maps/a b.png"]
    );
    assert_eq!((summary.image_count, summary.buffer_count), (4, 2));
    assert!(!summary.has_bin_chunk);
    assert_eq!(summary.generator, None);
}

#[test]
fn container_errors() {
    let msg = |bytes: &[u8]| inspect_glb(bytes).unwrap_err().to_string();
    let good = triangle();
    let patched = |at: usize, bytes: &[u8]| {
        let mut v = good.clone();
        v[at..at + bytes.len()].copy_from_slice(bytes);
        inspect_glb(&v).unwrap_err()
    };
    assert_eq!(patched(0, b"G"), GltfError::BadMagic);
    assert_eq!(patched(4, &[1]), GltfError::UnsupportedVersion(1));
    assert!(matches!(patched(8, &[1]), GltfError::LengthMismatch { .. }));
    let oob = patched(12, &u32::MAX.to_le_bytes()).to_string();
    assert!(oob.contains("chunk 0 runs past the end"), "{oob}");
    assert!(patched(12, &[3]).to_string().contains("padded"));
    let mut junk = good.clone();
    junk.extend([1, 2, 3, 4]);
    let len = junk.len() as u32;
    junk[8..12].copy_from_slice(&len.to_le_bytes());
    assert!(msg(&junk).contains("4 stray bytes"));
    assert!(msg(b"glTF\x02\x00\x00\x00\x0C\x00\x00\x00").contains("no JSON"));
    let mut bin_first = b"glTF\x02\x00\x00\x00\x18\x00\x00\x00".to_vec();
    chunk(&mut bin_first, CHUNK_BIN, &[0; 4], 0);
    assert!(msg(&bin_first).contains("first chunk"));
    assert_eq!(inspect_glb(b"glTF\x02\x00"), Err(GltfError::Truncated));
    assert_eq!(inspect_glb(b""), Err(GltfError::Truncated));
    for n in 0..good.len() {
        assert!(inspect_glb(&good[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn buffer_errors() {
    assert_eq!(
        inspect_glb(&glb(TRIANGLE, None)),
        Err(GltfError::MissingBin)
    );
    let err = glb_err(&TRIANGLE.replace("'byteLength':36}]", "'byteLength':48}]"));
    assert!(
        err.contains("buffer 0 should hold 48 bytes but only 36"),
        "{err}"
    );
    assert!(json_err(TRIANGLE)
        .to_string()
        .contains("only allowed in a .glb"));
    let two = TRIANGLE.replace(
        "[{'byteLength':36}]",
        "[{'byteLength':36},{'byteLength':4}]",
    );
    assert!(glb_err(&two).contains("buffer 1 has no uri"));
    let with_uri = |uri: &str| {
        let buffer = format!("{{'uri':'{uri}','byteLength':36}}");
        glb_err(&TRIANGLE.replace("{'byteLength':36}", &buffer))
    };
    for uri in [
        "data:;base64,AAEC*w==",
        "data:text/plain,abc",
        "data:;base64,A",
    ] {
        assert!(with_uri(uri).contains("not valid base64"), "{uri}");
    }
    assert!(with_uri("data:;base64,AAAA").contains("should hold 36 bytes but only 3"));
}

#[test]
fn reference_errors() {
    let cases = [
        "'byteOffset':0|'byteOffset':4|bufferView 0 reaches past the end of buffer 0",
        "'buffer':0|'buffer':3|bufferView 0 refers to buffer 3, which does not exist",
        "'count':3|'count':4|accessor 0 reads past the end of bufferView 0",
        "'count':3|'count':18446744073709551615|accessor 0 reads past the end",
        "'bufferView':0,|'bufferView':7,|accessor 0 refers to bufferView 7",
        "'type':'VEC3'|'type':'VEC5'|accessor 0 has an unknown data type",
        "'POSITION':0|'POSITION':9|mesh 0 primitive 0 refers to accessor 9",
        "{'mesh':0}|{'mesh':0,'children':[0]}|node 0 is its own ancestor",
        "{'mesh':0}|{'mesh':2}|node 0 refers to mesh 2",
        "'scene':0|'scene':1|the default scene refers to scene 1",
        "'nodes':[0]|'nodes':[1]|scene 0 refers to node 1",
        "'version':'2.0'|'version':'1.0'|glTF version 1.0",
        "'asset'|'assets'|no \"asset\" section",
        "'buffer':0|'buffer':-1|could not be read",
        "'nodes':[{'mesh':0}]|'nodes':[{'children':[2]},{'children':[2]},{}]|node 2 has more",
        "'nodes':[{'mesh':0}]|'nodes':[{'children':[1]},{'children':[0]}]|own ancestor",
    ];
    for case in cases {
        let [from, to, want] = case.split('|').collect::<Vec<_>>()[..] else {
            unreachable!()
        };
        assert!(TRIANGLE.contains(from), "{from}");
        let err = glb_err(&TRIANGLE.replacen(from, to, 1));
        assert!(err.contains(want), "{to}: {err}");
    }
    for (image, want) in [
        ("{}", "image 0 has neither"),
        ("{'bufferView':0}", "image 0 refers to bufferView 0"),
        ("{'uri':'a.png','bufferView':0}", "image 0 has both"),
        (
            "{'uri':'data:image/png;base64,%%'}",
            "image 0 has embedded data",
        ),
    ] {
        let err = json_err(&with_image(image)).to_string();
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn unsafe_uris_are_rejected() {
    let bad = "../secret %2e%2e/secret a/../../b http://evil.example/x.bin C:/x.bin
        file:///etc/passwd /etc/passwd C:\\\\models\\\\x.bin a\\\\..\\\\b a.bin?x=1
        a//b %zz %C3 dir/ %00.png ./ .";
    for uri in bad.split_whitespace().chain([""]) {
        match json_err(&with_image(&format!("{{'uri':'{uri}'}}"))) {
            GltfError::Uri { .. } => {}
            other => panic!("{uri}: {other}"),
        }
    }
    let err =
        json_err("{'asset':{'version':'2.0'},'buffers':[{'uri':'../secret','byteLength':1}]}");
    let want = "the model refers to “../secret”, which points outside the model's folder";
    assert_eq!(
        (err.to_string().as_str(), err.code()),
        (want, "gltf-invalid")
    );
}

#[test]
fn pseudo_random_input_never_panics() {
    let mut state = 0xDEAD_BEEF_CAFE_F00Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (good, json) = (triangle(), q(TRIANGLE).into_bytes());
    for i in 0..3000 {
        let mut input = match i % 3 {
            0 => (0..next() % 300).map(|_| next() as u8).collect(),
            1 => good.clone(),
            _ => json.clone(),
        };
        for _ in 0..1 + next() % 4 {
            let at = next() as usize % input.len().max(1);
            if let Some(b) = input.get_mut(at) {
                *b = b"0123456789[]{},:\"-\x00\xFF"[next() as usize % 20];
            }
        }
        let _ = (inspect_glb(&input), inspect_gltf_json(&input));
    }
    let deep = format!(
        "{{'extras':{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(inspect_gltf_json(q(&deep).as_bytes()).is_err());
}
