//! The layer walk on every input form and on hostile layers.

use std::io::Write;

use wharf_layer::{Compression, EntryKind, LayerError, Limits, WalkSummary, walk};

/// An entry to put in a test tar: raw path bytes (so hostile paths can be
/// written), type, content or link target.
struct Raw<'a> {
    path: &'a str,
    kind: tar::EntryType,
    data: &'a [u8],
    link: Option<&'a str>,
    mode: u32,
}

fn file<'a>(path: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        path,
        kind: tar::EntryType::Regular,
        data,
        link: None,
        mode: 0o644,
    }
}

fn tar_of(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        // Write the name bytes directly: `set_path` refuses `..`, and hostile
        // layers are exactly what these tests need.
        let name = &mut h.as_gnu_mut().expect("gnu header").name;
        name.fill(0);
        name[..e.path.len()].copy_from_slice(e.path.as_bytes());
        h.set_entry_type(e.kind);
        h.set_mode(e.mode);
        h.set_size(e.data.len() as u64);
        h.set_mtime(0);
        if let Some(l) = e.link {
            let ln = &mut h.as_gnu_mut().expect("gnu header").linkname;
            ln.fill(0);
            ln[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        b.append(&h, e.data).expect("append");
    }
    b.into_inner().expect("finish tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn zstd_of(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd")
}

type Seen = Vec<(String, EntryKind, u64, u32, Vec<u8>)>;

fn collect(input: &[u8], limits: &Limits) -> Result<(Seen, WalkSummary), LayerError> {
    let mut seen = Vec::new();
    let summary = walk(input, limits, |e| {
        let mut content = Vec::new();
        e.reader
            .read_to_end(&mut content)
            .map_err(|err| LayerError::Visitor(err.to_string()))?;
        seen.push((e.path.to_owned(), e.kind.clone(), e.size, e.mode, content));
        Ok(())
    })?;
    Ok((seen, summary))
}

fn sample_layer() -> Vec<u8> {
    tar_of(&[
        Raw {
            path: "./",
            kind: tar::EntryType::Directory,
            data: b"",
            link: None,
            mode: 0o755,
        },
        Raw {
            path: "./etc/",
            kind: tar::EntryType::Directory,
            data: b"",
            link: None,
            mode: 0o755,
        },
        file("./etc/os-release", b"ID=debian\nVERSION_ID=12\n"),
        Raw {
            path: "usr/bin/su",
            kind: tar::EntryType::Regular,
            data: b"\x7fELF",
            link: None,
            mode: 0o4755,
        },
        Raw {
            path: "etc/alt",
            kind: tar::EntryType::Symlink,
            data: b"",
            link: Some("../usr/lib/os-release"),
            mode: 0o777,
        },
        Raw {
            path: "etc/hard",
            kind: tar::EntryType::Link,
            data: b"",
            link: Some("./etc/os-release"),
            mode: 0o644,
        },
        file("var/lib/.wh.cache", b""),
        file("opt/app/.wh..wh..opq", b""),
        Raw {
            path: "dev/null",
            kind: tar::EntryType::Char,
            data: b"",
            link: None,
            mode: 0o666,
        },
        Raw {
            path: "run/fifo",
            kind: tar::EntryType::Fifo,
            data: b"",
            link: None,
            mode: 0o644,
        },
    ])
}

/// One expectation through every input form: tar, tar.gz, multi-member
/// tar.gz (as some tools write) and tar.zst.
#[test]
fn every_form_walks_identically() {
    let tar = sample_layer();
    let half = tar.len() / 2;
    let mut multi = gzip(&tar[..half]);
    multi.extend(gzip(&tar[half..]));
    let forms: Vec<(Compression, Vec<u8>)> = vec![
        (Compression::None, tar.clone()),
        (Compression::Gzip, gzip(&tar)),
        (Compression::Gzip, multi),
        (Compression::Zstd, zstd_of(&tar)),
    ];
    let (reference, _) = collect(&tar, &Limits::default()).expect("plain tar");
    let paths: Vec<(&str, &EntryKind)> =
        reference.iter().map(|(p, k, ..)| (p.as_str(), k)).collect();
    assert_eq!(
        paths,
        vec![
            ("etc", &EntryKind::Dir),
            ("etc/os-release", &EntryKind::File),
            ("usr/bin/su", &EntryKind::File),
            (
                "etc/alt",
                &EntryKind::Symlink("../usr/lib/os-release".into())
            ),
            ("etc/hard", &EntryKind::Hardlink("etc/os-release".into())),
            (
                "var/lib/.wh.cache",
                &EntryKind::Whiteout("var/lib/cache".into())
            ),
            (
                "opt/app/.wh..wh..opq",
                &EntryKind::OpaqueDir("opt/app".into())
            ),
            ("dev/null", &EntryKind::Device),
            ("run/fifo", &EntryKind::Fifo),
        ]
    );
    assert_eq!(reference[1].4, b"ID=debian\nVERSION_ID=12\n");
    assert_eq!(reference[2].3, 0o4755, "setuid bit kept");
    for (compression, bytes) in forms {
        let (seen, summary) = collect(&bytes, &Limits::default()).expect("walk");
        assert_eq!(summary.compression, compression);
        assert_eq!(seen, reference, "{compression:?}");
        assert_eq!(summary.entries, 10);
        assert_eq!(summary.files, 2);
        assert_eq!(summary.uncompressed_bytes, tar.len() as u64);
        assert_eq!(
            summary.compressed_bytes,
            bytes.len() as u64,
            "every input byte consumed"
        );
    }
}

#[test]
fn escaping_and_invalid_paths_are_skipped_and_reported() {
    let tar = tar_of(&[
        file("../../etc/passwd", b"root:x:0:0"),
        file("/abs/ok", b"absolute paths are relative to the layer root"),
        file("a/../../escape", b"x"),
        Raw {
            path: "evil-link",
            kind: tar::EntryType::Link,
            data: b"",
            link: Some("../../etc/shadow"),
            mode: 0o644,
        },
        Raw {
            path: "sym",
            kind: tar::EntryType::Symlink,
            data: b"",
            link: Some("/etc/shadow"),
            mode: 0o777,
        },
        file("fine", b"ok"),
    ]);
    let (seen, summary) = collect(&tar, &Limits::default()).expect("walk");
    let paths: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(paths, ["abs/ok", "sym", "fine"]);
    // A symlink's target is recorded, never followed.
    assert_eq!(seen[1].1, EntryKind::Symlink("/etc/shadow".into()));
    let skipped: Vec<(&str, &str)> = summary
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|(p, r)| *p == "../../etc/passwd" && r.contains("escapes"))
    );
    assert!(
        skipped
            .iter()
            .any(|(p, r)| *p == "evil-link" && r.contains("hard link"))
    );
}

#[test]
fn decompression_bombs_stop_with_an_error() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = gzip(&tar_of(&[file("zeros", &zeros)]));
    // Total size cap.
    let limits = Limits {
        max_uncompressed: 4 << 20,
        ..Limits::default()
    };
    let err = collect(&bomb, &limits).expect_err("too large");
    assert!(
        matches!(err, LayerError::Bomb(ref m) if m.contains("uncompressed")),
        "{err}"
    );
    // Ratio cap (zeros compress about 1000:1).
    let limits = Limits {
        ratio_floor: 1 << 20,
        max_ratio: 50,
        ..Limits::default()
    };
    let err = collect(&bomb, &limits).expect_err("ratio");
    assert!(
        matches!(err, LayerError::Bomb(ref m) if m.contains("ratio")),
        "{err}"
    );
    // The defaults accept it.
    collect(&bomb, &Limits::default()).expect("8 MiB of zeros is fine by default");
    // Entry-count cap.
    let many: Vec<Raw<'_>> = (0..50).map(|_| file("f", b"")).collect();
    let err = collect(
        &tar_of(&many),
        &Limits {
            max_entries: 10,
            ..Limits::default()
        },
    )
    .expect_err("entries");
    assert!(matches!(err, LayerError::TooManyEntries(10)), "{err}");
}

#[test]
fn truncated_and_corrupt_streams_are_errors() {
    let tar = tar_of(&[file("a", &[7u8; 100_000]), file("b", b"tail")]);
    let gz = gzip(&tar);
    for cut in [gz.len() / 2, gz.len() - 4] {
        let err = collect(&gz[..cut], &Limits::default()).expect_err("truncated gzip");
        assert!(
            matches!(err, LayerError::Compression { .. } | LayerError::Tar { .. }),
            "cut at {cut}: {err:?}"
        );
    }
    let zst = zstd_of(&tar);
    let err = collect(&zst[..zst.len() / 2], &Limits::default()).expect_err("truncated zstd");
    assert!(
        matches!(err, LayerError::Compression { .. } | LayerError::Tar { .. }),
        "{err}"
    );
    // A truncated plain tar: the content of `a` ends early.
    let err = collect(&tar[..50_000], &Limits::default()).expect_err("truncated tar");
    assert!(matches!(err, LayerError::Tar { .. }), "{err}");
    let mut corrupt = gz.clone();
    for b in corrupt.iter_mut().skip(20).take(200) {
        *b ^= 0x5a;
    }
    assert!(collect(&corrupt, &Limits::default()).is_err());
}

#[test]
fn callback_errors_stop_the_walk() {
    let tar = sample_layer();
    let err = walk(&tar[..], &Limits::default(), |e| {
        if e.path == "usr/bin/su" {
            Err(LayerError::Visitor("stop here".into()))
        } else {
            Ok(())
        }
    })
    .expect_err("visitor stops");
    assert_eq!(err.to_string(), "stop here");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Arbitrary bytes, raw or behind a gzip/zstd magic, never panic.
        #[test]
        fn arbitrary_input_never_panics(body in prop::collection::vec(any::<u8>(), 0..4096), prefix in 0usize..3) {
            let mut input = match prefix {
                0 => vec![],
                1 => vec![0x1f, 0x8b],
                _ => vec![0x28, 0xb5, 0x2f, 0xfd],
            };
            input.extend(body);
            let _ = collect(&input, &Limits::default());
        }
    }
}
