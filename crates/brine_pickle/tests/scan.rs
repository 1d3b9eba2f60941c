//! End-to-end tests over the committed fixtures (see tests/fixtures/make_fixtures.py) and small
//! inline streams.

use std::path::PathBuf;

use brine_pickle::{
    scan, scan_bytes, ArtifactReport, Compression, Container, Import, ImportClass, ScanLimits,
    ScanOutcome,
};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn report_with(name: &str, limits: &ScanLimits) -> ArtifactReport {
    match scan_bytes(&fixture(name), name, limits) {
        ScanOutcome::Scanned(r) => r,
        ScanOutcome::NotPickle => panic!("{name}: expected a pickle artifact"),
    }
}

fn report(name: &str) -> ArtifactReport {
    report_with(name, &ScanLimits::default())
}

fn inline(bytes: &[u8]) -> ArtifactReport {
    match scan_bytes(bytes, "inline.pkl", &ScanLimits::default()) {
        ScanOutcome::Scanned(r) => r,
        ScanOutcome::NotPickle => panic!("{bytes:?}: expected a pickle"),
    }
}

fn find<'a>(r: &'a ArtifactReport, qualified: &str) -> &'a Import {
    r.imports
        .iter()
        .find(|i| i.qualified_name() == qualified)
        .unwrap_or_else(|| panic!("{qualified} not in {:#?}", r.imports))
}

fn names(r: &ArtifactReport) -> Vec<String> {
    r.imports.iter().map(Import::qualified_name).collect()
}

#[test]
fn os_system_at_every_protocol() {
    for (name, offset, opcode) in [
        ("os_system_p0.pkl", 0, "GLOBAL"),
        ("os_system_p1.pkl", 0, "GLOBAL"),
        ("os_system_p2.pkl", 2, "GLOBAL"),
        ("os_system_p5.pkl", 25, "STACK_GLOBAL"),
    ] {
        let r = report(name);
        assert_eq!(r.container, Container::RawPickle, "{name}");
        assert_eq!(names(&r), ["os.system"], "{name}");
        let i = &r.imports[0];
        assert_eq!(i.class, ImportClass::Dangerous, "{name}");
        assert_eq!((i.offset, i.opcode), (offset, opcode), "{name}");
        assert_eq!(i.member, None);
        assert_eq!(r.reduce_count, 1, "{name}");
        assert!(r.problems.is_empty(), "{name}: {:?}", r.problems);
        assert_eq!(r.severity_hint(), Some("error"));
    }
}

#[test]
fn exec_via_stack_global() {
    let r = report("exec_stack_global.pkl");
    let i = find(&r, "builtins.exec");
    assert_eq!((i.opcode, i.offset), ("STACK_GLOBAL", 20));
    assert_eq!(i.class, ImportClass::Dangerous);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

#[test]
fn stack_global_through_memo_escapes_and_unknown_operands() {
    let r = report("stack_global_tricks.pkl");
    let got: Vec<(String, u64, ImportClass)> = r
        .imports
        .iter()
        .map(|i| (i.qualified_name(), i.offset, i.class))
        .collect();
    assert_eq!(
        got,
        [
            ("builtins.eval".to_string(), 21, ImportClass::Dangerous),
            ("os.system".to_string(), 40, ImportClass::Dangerous),
            ("?.?".to_string(), 46, ImportClass::Dangerous),
        ]
    );
}

#[test]
fn torch_zip_with_a_late_popen() {
    let r = report("torch_evil.pt");
    assert_eq!(r.container, Container::TorchZip);
    let got: Vec<(String, ImportClass, u64)> = r
        .imports
        .iter()
        .map(|i| (i.qualified_name(), i.class, i.offset))
        .collect();
    assert_eq!(
        got,
        [
            ("collections.OrderedDict".into(), ImportClass::Allowed, 2),
            (
                "torch._utils._rebuild_tensor_v2".into(),
                ImportClass::Allowed,
                47
            ),
            ("torch.FloatStorage".into(), ImportClass::Allowed, 98),
            ("subprocess.Popen".into(), ImportClass::Dangerous, 174),
        ]
    );
    assert!(r
        .imports
        .iter()
        .all(|i| i.member.as_deref() == Some("archive/data.pkl")));
    assert_eq!(r.severity_hint(), Some("error"));
    assert_eq!(r.reduce_count, 4);
}

#[test]
fn benign_checkpoint_is_clean() {
    let r = report("torch_benign.pt");
    assert_eq!(r.container, Container::TorchZip);
    assert_eq!(
        names(&r),
        [
            "collections.OrderedDict",
            "torch._utils._rebuild_tensor_v2",
            "torch.FloatStorage"
        ]
    );
    assert_eq!(r.dangerous().count(), 0);
    assert_eq!(r.unknown().count(), 0);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.severity_hint(), None);
}

#[test]
fn legacy_torch_reads_all_five_pickles_and_not_the_storage() {
    let r = report("legacy_torch.pt");
    assert_eq!(r.container, Container::LegacyTorch);
    assert_eq!(r.pickle_streams, 5);
    let net = find(&r, "__main__.Net");
    assert_eq!(net.class, ImportClass::Unknown);
    assert_eq!(net.member.as_deref(), Some("pickle #4"));
    assert_eq!(net.offset, 139);
    assert_eq!(
        find(&r, "torch._utils._rebuild_tensor").class,
        ImportClass::Allowed
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.severity_hint(), Some("warning"));
}

#[test]
fn object_npy_has_a_pickle_and_float_npy_does_not() {
    let r = report("object_array.npy");
    assert_eq!(r.container, Container::Npy);
    let evil = find(&r, "subprocess.check_output");
    assert_eq!((evil.offset, evil.class), (260, ImportClass::Dangerous));
    assert_eq!(
        find(&r, "numpy.core.multiarray._reconstruct").class,
        ImportClass::Allowed
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        scan_bytes(&fixture("floats.npy"), "floats.npy", &ScanLimits::default()),
        ScanOutcome::NotPickle
    );
}

#[test]
fn npz_members() {
    let r = report("arrays.npz");
    assert_eq!(r.container, Container::Npz);
    let evil = find(&r, "builtins.eval");
    assert_eq!(evil.member.as_deref(), Some("b.npy"));
    assert_eq!(evil.offset, 260);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

#[test]
fn joblib_arrays_are_skipped_and_what_follows_is_read() {
    for (name, compression) in [
        ("model.joblib.gz", Compression::Gzip),
        ("model.joblib", Compression::Zlib),
    ] {
        let r = report(name);
        assert_eq!(r.container, Container::Joblib, "{name}");
        assert_eq!(r.compression, Some(compression));
        assert!(r.problems.is_empty(), "{name}: {:?}", r.problems);
        let got = names(&r);
        assert!(!got.contains(&"builtins.eval".to_string()), "{got:?}");
        assert_eq!(
            find(&r, "joblib.numpy_pickle.NumpyArrayWrapper").class,
            ImportClass::Allowed
        );
        let est = find(&r, "sklearn.linear_model._logistic.LogisticRegression");
        assert_eq!((est.class, est.offset), (ImportClass::Unknown, 335));
        let hook = find(&r, "posix.system");
        assert_eq!((hook.class, hook.offset), (ImportClass::Dangerous, 346));
    }
}

#[test]
fn other_compressions() {
    for (name, kind) in [
        ("os_system.pkl.bz2", Compression::Bzip2),
        ("os_system.pkl.xz", Compression::Xz),
        ("os_system.pkl.lzma", Compression::Lzma),
    ] {
        let r = report(name);
        assert_eq!(r.container, Container::Compressed(kind), "{name}");
        assert_eq!(r.compression, Some(kind));
        assert_eq!(names(&r), ["os.system"]);
        assert_eq!(r.imports[0].offset, 2);
        assert!(r.problems.is_empty(), "{name}: {:?}", r.problems);
    }
}

#[test]
fn nested_archives_and_the_nesting_limit() {
    let r = report("nested.zip");
    assert_eq!(r.container, Container::Zip);
    let popen = find(&r, "subprocess.Popen");
    assert_eq!(popen.member.as_deref(), Some("inner.zip!archive/data.pkl"));
    assert_eq!(popen.offset, 174);

    let shallow = ScanLimits {
        max_nesting: 1,
        ..ScanLimits::default()
    };
    let r = report_with("nested.zip", &shallow);
    assert!(r.imports.is_empty(), "{:?}", r.imports);
    assert!(
        r.problems.iter().any(|p| p.contains("nesting limit")),
        "{:?}",
        r.problems
    );
    assert_eq!(r.severity_hint(), Some("warning"));
}

#[test]
fn truncated_pickle_keeps_its_import() {
    let r = report("truncated.pkl");
    assert_eq!(find(&r, "os.system").class, ImportClass::Dangerous);
    assert!(
        r.problems.iter().any(|p| p.contains("truncated")),
        "{:?}",
        r.problems
    );
}

#[test]
fn memo_bomb_hits_the_memo_limit() {
    let r = report("memo_bomb.pkl");
    assert_eq!(find(&r, "posix.system").offset, 2);
    assert!(
        r.problems.iter().any(|p| p.contains("memo limit")),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_million_marks_hit_the_stack_limit() {
    let r = report("deep_marks.pkl");
    assert_eq!(find(&r, "posix.system").class, ImportClass::Dangerous);
    assert!(
        r.problems.iter().any(|p| p.contains("stack limit")),
        "{:?}",
        r.problems
    );
}

#[test]
fn zip_bomb_is_bounded() {
    let limits = ScanLimits {
        max_decompressed_bytes: 8 * 1024 * 1024,
        ..ScanLimits::default()
    };
    let start = std::time::Instant::now();
    let r = report_with("zip_bomb.pt", &limits);
    assert_eq!(find(&r, "posix.system").class, ImportClass::Dangerous);
    assert!(
        r.problems.iter().any(|p| p.contains("decompression limit")),
        "{:?}",
        r.problems
    );
    assert!(start.elapsed().as_secs() < 30);
}

#[test]
fn zip_bomb_with_default_limits_through_a_file() {
    let file = std::fs::File::open(fixture_path("zip_bomb.pt")).unwrap();
    let out = scan(
        std::io::BufReader::new(file),
        "zip_bomb.pt",
        &ScanLimits::default(),
    );
    let r = out.report().expect("a pickle artifact");
    assert!(
        r.problems.iter().any(|p| p.contains("decompression limit")),
        "{:?}",
        r.problems
    );
}

#[test]
fn text_is_not_a_pickle() {
    let limits = ScanLimits::default();
    assert_eq!(
        scan_bytes(&fixture("model.pkl"), "model.pkl", &limits),
        ScanOutcome::NotPickle
    );
    for text in [
        &b""[..],
        b"hello world\n",
        b"cat\ndog\n",
        b"import os\nos.system('ls')\n",
        b"{\"weights\": [1, 2, 3]}\n",
        b"(1, 2)\n",
        b"I am a note\n",
        b"N",
        b"\x80",
        b"\x80\x09garbage",
        b"PK\x03\x04 not really a zip",
        b"\x1f\x8b\x08\x00 not really gzip",
        b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}",
    ] {
        assert_eq!(
            scan_bytes(text, "model.pkl", &limits),
            ScanOutcome::NotPickle,
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
}

#[test]
fn protocol_0_inst_and_missing_stop() {
    let r = inline(b"(S'echo hi'\nios\nsystem\n.");
    let i = find(&r, "os.system");
    assert_eq!((i.opcode, i.offset), ("INST", 12));
    assert_eq!(r.reduce_count, 1);

    // No STOP: the unpickler would still have called os.system before failing.
    let r = inline(b"cos\nsystem\n(S'ls'\ntR");
    assert_eq!(find(&r, "os.system").class, ImportClass::Dangerous);
    assert!(
        r.problems.iter().any(|p| p.contains("truncated")),
        "{:?}",
        r.problems
    );

    // Python 2 names are mapped the way the unpickler maps them.
    let r = inline(b"c__builtin__\neval\n(S'1'\ntR.");
    assert_eq!(find(&r, "__builtin__.eval").class, ImportClass::Dangerous);
}

#[test]
fn sequences_of_pickles_are_all_read() {
    let mut data = b"\x80\x02]q\x00.".to_vec();
    data.extend_from_slice(&fixture("os_system_p2.pkl"));
    let r = inline(&data);
    assert_eq!(r.pickle_streams, 2);
    let i = find(&r, "os.system");
    assert_eq!(i.member.as_deref(), Some("pickle #2"));
    assert_eq!(i.offset, 8);
}

#[test]
fn repeated_imports_are_reported_once_and_ext_is_unknown() {
    let r = inline(b"\x80\x02cos\nsystem\ncos\nsystem\n\x82\x05\x87.");
    assert_eq!(names(&r), ["os.system", "?.copyreg extension code 5"]);
    assert_eq!(r.imports[1].opcode, "EXT1");
    assert_eq!(r.imports[1].class, ImportClass::Unknown);
}

#[test]
fn limits_end_the_scan_with_a_problem() {
    let tiny = ScanLimits {
        max_opcodes: 2,
        ..ScanLimits::default()
    };
    let r = report_with("os_system_p2.pkl", &tiny);
    assert!(
        r.problems.iter().any(|p| p.contains("opcode limit")),
        "{:?}",
        r.problems
    );
    assert_eq!(names(&r), ["os.system"]);

    let mut big = b"\x80\x04cposix\nsystem\n0\x8e".to_vec();
    big.extend_from_slice(&(1u64 << 20).to_le_bytes());
    big.resize(big.len() + (1 << 20), 0);
    big.push(b'.');
    let small_input = ScanLimits {
        max_input_bytes: 64 * 1024,
        ..ScanLimits::default()
    };
    match scan_bytes(&big, "big.pkl", &small_input) {
        ScanOutcome::Scanned(r) => {
            assert_eq!(names(&r), ["posix.system"]);
            assert!(
                r.problems.iter().any(|p| p.contains("input limit")),
                "{:?}",
                r.problems
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_import_pickletools_sees_is_reported_at_its_offset() {
    let tsv = String::from_utf8(fixture("expected_offsets.tsv")).unwrap();
    let mut checked = 0;
    for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, member, offset, opcode, arg] = cols[..] else {
            panic!("bad oracle line {line:?}");
        };
        let offset: u64 = offset.parse().unwrap();
        let r = report(file);
        let hit = r.imports.iter().find(|i| {
            i.offset == offset
                && i.opcode == opcode
                && (member.is_empty() || i.member.as_deref() == Some(member))
        });
        let hit = hit.unwrap_or_else(|| panic!("{line:?} not in {:#?}", r.imports));
        if !arg.is_empty() {
            assert_eq!(format!("{} {}", hit.module, hit.name), arg, "{line:?}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} oracle rows");
}

#[test]
fn protocol_0_and_1_quirks_python_accepts_do_not_hide_a_pickle() {
    // PUT with underscores, which Python's int() accepts.
    let r = inline(b"cos\nsystem\np1_0\n(S'x'\ntR.");
    assert_eq!(find(&r, "os.system").class, ImportClass::Dangerous);
    assert!(r.problems.is_empty(), "{:?}", r.problems);

    // A BINUNICODE with an encoded surrogate (Python's 'surrogatepass' decodes it).
    let r = inline(b"X\x03\x00\x00\x00\xed\xa0\x800cos\nsystem\n(S'x'\ntR.");
    assert_eq!(find(&r, "os.system").class, ImportClass::Dangerous);

    // Padding past the opcode limit cannot make a protocol 1 stream look like text.
    let mut padded = b"N0".repeat(500);
    padded.extend_from_slice(b"cos\nsystem\n(S'x'\ntR.");
    let limits = ScanLimits {
        max_opcodes: 100,
        ..ScanLimits::default()
    };
    match scan_bytes(&padded, "padded.pkl", &limits) {
        ScanOutcome::Scanned(r) => {
            assert!(
                r.problems.iter().any(|p| p.contains("opcode limit")),
                "{:?}",
                r.problems
            );
            assert_eq!(r.severity_hint(), Some("warning"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn attribute_chains_and_truncated_names_are_dangerous() {
    // Protocol 4 resolves dotted names with getattr: torch.os.system is os.system.
    let mut p = b"\x80\x04".to_vec();
    p.extend_from_slice(b"\x8c\x05torch\x8c\x09os.system\x93.");
    let r = inline(&p);
    assert_eq!(find(&r, "torch.os.system").class, ImportClass::Dangerous);

    let mut long = b"\x80\x02c".to_vec();
    long.extend(std::iter::repeat_n(b'a', 10_000));
    long.extend_from_slice(b"\nb\n.");
    let r = inline(&long);
    assert_eq!(r.imports.len(), 1);
    assert!(r.imports[0].module.ends_with("..."));
    assert_eq!(r.imports[0].class, ImportClass::Dangerous);
}
