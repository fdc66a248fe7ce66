//! Go binaries: the build information the Go linker embeds in every
//! executable (what `go version -m` prints).
//!
//! The blob starts with the 14-byte magic `\xff Go buildinf:` at a 16-byte
//! aligned offset of the `.go.buildinfo` section (ELF), `__go_buildinfo`
//! (Mach-O) or, for binaries without that section, of the first writable data
//! segment/section. Byte 14 is the pointer size and byte 15 the flags:
//!
//! - Go ≥ 1.18 (`flags & 2`): the Go version and the module information follow
//!   the 32-byte header inline, each as a uvarint length and the bytes;
//! - older Go: two pointers (at offsets 16 and 16 + pointer size, in the
//!   binary's byte order, `flags & 1` meaning big-endian) to Go string headers
//!   (data pointer, length), which are resolved through the binary's segments
//!   and sections.
//!
//! The module information is framed by 16 sentinel bytes on each side and
//! holds tab-separated lines: `path`, `mod` (main module), `dep`, `=>` (a
//! replacement of the module on the previous line) and `build` settings.
//!
//! [`parse_binary`] reports, all as [`Ecosystem::Golang`]:
//! - the main module, unless its version is `(devel)` or empty (a plain
//!   `go build` of a checkout);
//! - every dependency; a replacement by another module version wins. A
//!   replacement by a local directory (`=> ../dir`, recorded with no version
//!   or `(devel)`) has no published version to match advisories against, so
//!   that dependency is left out (logged);
//! - `stdlib` with the toolchain version, `go1.21.3` → `1.21.3` (GOEXPERIMENT
//!   and vendor suffixes such as ` X:boringcrypto`, `-X:nodwarf5` or
//!   ` (Red Hat 1.26.5-1.el10)` are dropped; `devel` toolchains give none).
//!
//! A file that is not an executable, or an executable without build info, is
//! `Ok(vec![])`. If the executable's headers cannot be read, the whole file is
//! scanned for the magic (the Go ≥ 1.18 inline format needs no address
//! translation). Build info that is found but truncated or malformed is a
//! [`ParseError`].

use object::{Object, ObjectSection, ObjectSegment};
use wharf_types::{Ecosystem, Package};

use crate::ParseError;

/// The magic that starts the build-info header.
const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Size of the build-info header.
const HEADER_SIZE: usize = 32;
/// Alignment of the header.
const ALIGN: usize = 16;
/// Longest version or module-info string read.
const MAX_STRING: u64 = 4 << 20;
/// Most modules (main + deps) accepted from one binary.
const MAX_MODULES: usize = 100_000;

/// Whether `first_bytes` (the start of a file, 4 bytes are enough) look like
/// an executable this crate can read: ELF, Mach-O (32/64-bit, either byte
/// order) or PE (`MZ`). Fat (universal) Mach-O files are not recognised:
/// their magic is also the Java class-file magic.
pub fn looks_like_binary(first_bytes: &[u8]) -> bool {
    const MACHO: [[u8; 4]; 4] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
    ];
    first_bytes.starts_with(b"\x7fELF")
        || first_bytes.starts_with(b"MZ")
        || first_bytes
            .get(..4)
            .is_some_and(|m| MACHO.iter().any(|k| k == m))
}

/// Parses the Go build information of the executable at `path` (recorded in
/// the packages' locations) with content `content`.
///
/// Returns the main module, the dependencies and `stdlib` (see the module
/// documentation), `Ok(vec![])` for anything that is not a Go executable, or a
/// [`ParseError`] for build info that is present but unreadable.
pub fn parse_binary(path: &str, content: &[u8]) -> Result<Vec<Package>, ParseError> {
    if !looks_like_binary(content) {
        return Ok(Vec::new());
    }
    let raw = read_build_info(content).map_err(|m| ParseError::new(path, m))?;
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let info = parse_mod_info(&raw.mod_info).map_err(|m| ParseError::new(path, m))?;
    Ok(packages(path, &raw.go_version, &info))
}

/// The two strings of the build-info blob.
#[derive(Debug, PartialEq, Eq)]
struct RawBuildInfo {
    go_version: String,
    /// Module information with the sentinels removed (may be empty).
    mod_info: String,
}

/// Finds and decodes the build-info blob; `Ok(None)` when there is none.
fn read_build_info(content: &[u8]) -> Result<Option<RawBuildInfo>, String> {
    let file = match object::File::parse(content) {
        Ok(file) => file,
        Err(e) => {
            // Headers unreadable (truncated, exotic): the inline format can
            // still be read straight from the file.
            tracing::debug!(error = %e, "executable headers unreadable; scanning the raw file");
            let Some(header) = find_header(content) else {
                return Ok(None);
            };
            return decode_blob(header, None);
        }
    };
    let Some(region) = data_region(&file)? else {
        return Ok(None);
    };
    let Some(header) = find_header(region) else {
        return Ok(None);
    };
    decode_blob(header, Some(&file))
}

/// The bytes where the linker puts the blob: the dedicated section when there
/// is one, else the first writable data segment (ELF, Mach-O) or section (PE).
/// A dedicated section whose bytes are not in the file (truncated) is an
/// error: the file is a Go binary we cannot read.
fn data_region<'data>(file: &object::File<'data>) -> Result<Option<&'data [u8]>, String> {
    for name in [".go.buildinfo", "__go_buildinfo"] {
        if let Some(section) = file.section_by_name(name) {
            let data = section
                .data()
                .map_err(|e| format!("{name} section is unreadable (truncated file?): {e}"))?;
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }
    if file.format() != object::BinaryFormat::Pe {
        for segment in file.segments() {
            let perms = segment.permissions();
            if segment.address() != 0
                && perms.writable()
                && !perms.executable()
                && let Ok(data) = segment.data()
                && !data.is_empty()
            {
                return Ok(Some(data));
            }
        }
    }
    Ok(file
        .sections()
        .filter(|s| s.kind() == object::SectionKind::Data && s.address() != 0)
        .find_map(|s| s.data().ok().filter(|d| !d.is_empty())))
}

/// The first 16-byte aligned header in `data` (which must have room for the
/// whole 32-byte header).
fn find_header(data: &[u8]) -> Option<&[u8]> {
    memchr::memmem::find_iter(data, MAGIC)
        .filter(|&i| i % ALIGN == 0)
        .find_map(|i| data.get(i..).filter(|rest| rest.len() >= HEADER_SIZE))
}

/// Decodes the blob starting at `data` (the header). `file` resolves the
/// pointers of the pre-1.18 format; without it that format is an error.
fn decode_blob(
    data: &[u8],
    file: Option<&object::File<'_>>,
) -> Result<Option<RawBuildInfo>, String> {
    let (Some(&ptr_size), Some(&flags)) = (data.get(14), data.get(15)) else {
        return Err("truncated build info header".into());
    };
    let (version, mod_info) = if flags & 2 != 0 {
        let rest = data.get(HEADER_SIZE..).unwrap_or_default();
        let (version, rest) = decode_varint_string(rest)?;
        let (mod_info, _) = decode_varint_string(rest)?;
        (version, mod_info)
    } else {
        let Some(file) = file else {
            return Err("build info uses the pre-Go 1.18 pointer format but the executable headers are unreadable".into());
        };
        let ptr_size = usize::from(ptr_size);
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("build info has an invalid pointer size {ptr_size}"));
        }
        let big_endian = flags & 1 != 0;
        let version_ptr =
            read_uint(data.get(16..), ptr_size, big_endian).ok_or("truncated build info header")?;
        let mod_ptr = read_uint(data.get(16 + ptr_size..), ptr_size, big_endian)
            .ok_or("truncated build info header")?;
        let version = read_go_string(file, version_ptr, ptr_size, big_endian)?;
        let mod_info = read_go_string(file, mod_ptr, ptr_size, big_endian)?;
        (version, mod_info)
    };
    if version.is_empty() {
        // What Go itself reports as "not a Go executable".
        return Ok(None);
    }
    let go_version = String::from_utf8(version).map_err(|_| "Go version is not UTF-8")?;
    Ok(Some(RawBuildInfo {
        go_version,
        mod_info: strip_sentinels(&mod_info),
    }))
}

/// Removes the 16-byte sentinels around the module information; anything
/// without them counts as no module information (as in `debug/buildinfo`).
fn strip_sentinels(mod_info: &[u8]) -> String {
    let n = mod_info.len();
    if n >= 33 && mod_info.get(n - 17) == Some(&b'\n') {
        mod_info
            .get(16..n - 16)
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .unwrap_or_default()
    } else {
        String::new()
    }
}

/// A uvarint length followed by that many bytes; returns them and the rest.
fn decode_varint_string(data: &[u8]) -> Result<(Vec<u8>, &[u8]), String> {
    let mut len: u64 = 0;
    let mut consumed = 0;
    for (i, &b) in data.iter().enumerate().take(10) {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            consumed = i + 1;
            break;
        }
    }
    if consumed == 0 {
        return Err("truncated build info: bad string length".into());
    }
    if len > MAX_STRING {
        return Err(format!(
            "build info string of {len} bytes is over the {MAX_STRING} byte limit"
        ));
    }
    let rest = data.get(consumed..).unwrap_or_default();
    let len = usize::try_from(len).map_err(|_| "build info string too long")?;
    let bytes = rest
        .get(..len)
        .ok_or("truncated build info: string runs past the end of the file")?;
    Ok((bytes.to_vec(), rest.get(len..).unwrap_or_default()))
}

fn read_uint(data: Option<&[u8]>, size: usize, big_endian: bool) -> Option<u64> {
    let bytes = data?.get(..size)?;
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    Some(if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    })
}

/// The bytes at virtual address `address`, looked up in the segments and
/// then the sections (file-backed bytes only).
fn read_at<'data>(file: &object::File<'data>, address: u64, size: u64) -> Option<&'data [u8]> {
    if let Some(d) = file
        .segments()
        .find_map(|s| s.data_range(address, size).ok().flatten())
    {
        return Some(d);
    }
    file.sections()
        .find_map(|s| s.data_range(address, size).ok().flatten())
}

/// Reads a Go string header (data pointer, length) at `address` and the
/// string it points to.
fn read_go_string(
    file: &object::File<'_>,
    address: u64,
    ptr_size: usize,
    big_endian: bool,
) -> Result<Vec<u8>, String> {
    let header = read_at(file, address, 2 * ptr_size as u64)
        .ok_or_else(|| format!("build info pointer {address:#x} is outside the file"))?;
    let data = read_uint(Some(header), ptr_size, big_endian).unwrap_or_default();
    let len = read_uint(header.get(ptr_size..), ptr_size, big_endian).unwrap_or_default();
    if len == 0 {
        return Ok(Vec::new());
    }
    if len > MAX_STRING {
        return Err(format!(
            "build info string of {len} bytes is over the {MAX_STRING} byte limit"
        ));
    }
    read_at(file, data, len)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| format!("build info string at {data:#x} is outside the file"))
}

/// A module line (`mod` / `dep` / `=>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Module {
    path: String,
    version: String,
    replace: Option<Box<Module>>,
}

/// The parts of the module information we use.
#[derive(Debug, Default, PartialEq, Eq)]
struct ModInfo {
    main: Option<Module>,
    deps: Vec<Module>,
}

/// Parses the module information lines. Unknown and malformed lines are
/// skipped (newer toolchains may add lines); only the size caps are errors.
fn parse_mod_info(text: &str) -> Result<ModInfo, String> {
    let mut info = ModInfo::default();
    for line in text.lines() {
        let Some((kind, rest)) = line.split_once('\t') else {
            continue;
        };
        let mut fields = rest.split('\t');
        let path = fields.next().unwrap_or_default().to_owned();
        let version = fields.next().unwrap_or_default().to_owned();
        let module = Module {
            path,
            version,
            replace: None,
        };
        match kind {
            "mod" => info.main = Some(module),
            "dep" => {
                if info.deps.len() >= MAX_MODULES {
                    return Err(format!("build info lists more than {MAX_MODULES} modules"));
                }
                info.deps.push(module);
            }
            "=>" => {
                let last = match info.deps.last_mut() {
                    Some(dep) => Some(dep),
                    None => info.main.as_mut(),
                };
                if let Some(last) = last {
                    last.replace = Some(Box::new(module));
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// `go1.21.3` → `1.21.3`; `None` for development toolchains and anything
/// that is not a release version.
fn stdlib_version(go_version: &str) -> Option<String> {
    let first = go_version.split_whitespace().next()?;
    let version = first.strip_prefix("go")?;
    let version = version.split("-X:").next().unwrap_or(version);
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| version.to_owned())
}

/// A module without a published version: built from a directory (`(devel)`
/// or no version, as the toolchain writes for `=> ../dir` replacements and
/// for the main module of a plain `go build`) or replaced by a file path.
fn is_local(module: &Module) -> bool {
    module.version.is_empty()
        || module.version == "(devel)"
        || module.path.starts_with("./")
        || module.path.starts_with("../")
        || module.path.starts_with('/')
}

fn packages(path: &str, go_version: &str, info: &ModInfo) -> Vec<Package> {
    let mut out = Vec::new();
    if let Some(main) = &info.main {
        let effective = main.replace.as_deref().unwrap_or(main);
        if !effective.path.is_empty() && !is_local(effective) {
            out.push(Package::new(
                Ecosystem::Golang,
                effective.path.clone(),
                effective.version.clone(),
                path,
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for dep in &info.deps {
        let effective = dep.replace.as_deref().unwrap_or(dep);
        if effective.path.is_empty() || is_local(effective) {
            tracing::debug!(module = %dep.path, replacement = %effective.path, "skipping module replaced by a local directory");
            continue;
        }
        if seen.insert((effective.path.as_str(), effective.version.as_str())) {
            out.push(Package::new(
                Ecosystem::Golang,
                effective.path.clone(),
                effective.version.clone(),
                path,
            ));
        }
    }
    if let Some(version) = stdlib_version(go_version) {
        out.push(Package::new(Ecosystem::Golang, "stdlib", version, path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A Go ≥ 1.18 inline blob (header + strings), with sentinels around
    /// the module information.
    fn inline_blob(version: &str, mod_info: &str) -> Vec<u8> {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, 2]);
        blob.resize(HEADER_SIZE, 0);
        varint(version.len(), &mut blob);
        blob.extend(version.as_bytes());
        let framed = [&[0x30u8; 16][..], mod_info.as_bytes(), &[0xf9u8; 16][..]].concat();
        varint(framed.len(), &mut blob);
        blob.extend(framed);
        blob
    }

    const MOD_INFO: &str = "path\texample.com/cmd/app\n\
        mod\texample.com/app\tv1.4.0\th1:abc=\n\
        dep\tgolang.org/x/sys\tv0.1.0\th1:x=\n\
        dep\tgithub.com/old/name\tv1.0.0\th1:y=\n\
        =>\tgithub.com/new/name\tv1.0.1\th1:z=\n\
        dep\texample.com/local\tv0.0.0\n\
        =>\t../local\t\t\n\
        dep\texample.com/backend\tv0.0.0-00010101000000-000000000000\n\
        =>\t./internal/backend\t(devel)\t\n\
        build\t-compiler=gc\n\
        build\tCGO_ENABLED=0\n";

    fn names(pkgs: &[Package]) -> Vec<(String, String)> {
        pkgs.iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect()
    }

    #[test]
    fn looks_like_binary_magics() {
        assert!(looks_like_binary(b"\x7fELF\x02\x01"));
        assert!(looks_like_binary(b"MZ\x90\x00"));
        assert!(looks_like_binary(&[0xcf, 0xfa, 0xed, 0xfe, 7]));
        assert!(looks_like_binary(&[0xfe, 0xed, 0xfa, 0xce]));
        assert!(!looks_like_binary(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]));
        assert!(!looks_like_binary(b"#!/bin/sh"));
        assert!(!looks_like_binary(b"\x7fEL"));
        assert!(!looks_like_binary(b""));
    }

    #[test]
    fn inline_blob_decodes() {
        let blob = inline_blob("go1.21.3", MOD_INFO);
        let raw = decode_blob(&blob, None).expect("decode").expect("some");
        assert_eq!(raw.go_version, "go1.21.3");
        assert_eq!(raw.mod_info, MOD_INFO);
        let info = parse_mod_info(&raw.mod_info).expect("parse");
        assert_eq!(
            names(&packages("bin/app", &raw.go_version, &info)),
            [
                ("example.com/app".into(), "v1.4.0".into()),
                ("golang.org/x/sys".into(), "v0.1.0".into()),
                ("github.com/new/name".into(), "v1.0.1".into()),
                ("stdlib".into(), "1.21.3".into()),
            ]
        );
    }

    #[test]
    fn raw_scan_reads_inline_blob_when_headers_are_broken() {
        // An "ELF" whose header is garbage, with an aligned blob inside.
        let mut file = b"\x7fELF".to_vec();
        file.resize(64, 0xee);
        file.extend(inline_blob("go1.22.0 X:boringcrypto", MOD_INFO));
        let pkgs = parse_binary("x", &file).expect("parse");
        assert!(names(&pkgs).contains(&("stdlib".into(), "1.22.0".into())));
        assert_eq!(pkgs[0].locations, ["x"]);
        // Misaligned magic is ignored.
        let mut misaligned = b"\x7fELF".to_vec();
        misaligned.resize(65, 0xee);
        misaligned.extend(inline_blob("go1.22.0", MOD_INFO));
        assert_eq!(parse_binary("x", &misaligned), Ok(vec![]));
    }

    #[test]
    fn truncated_and_corrupt_blobs() {
        let blob = inline_blob("go1.21.3", MOD_INFO);
        // Cut inside the module info string.
        let cut = &blob[..blob.len() - 20];
        assert!(decode_blob(cut, None).is_err());
        // Length varint that never ends.
        let mut bad = blob[..HEADER_SIZE].to_vec();
        bad.extend([0xff; 12]);
        assert!(decode_blob(&bad, None).is_err());
        // Absurd length.
        let mut huge = blob[..HEADER_SIZE].to_vec();
        varint(1 << 40, &mut huge);
        let e = decode_blob(&huge, None).expect_err("limit");
        assert!(e.contains("limit"), "{e}");
        // Pointer format without readable headers.
        let mut old = blob[..HEADER_SIZE].to_vec();
        old[15] = 0;
        assert!(decode_blob(&old, None).is_err());
        // Empty version: not a Go executable.
        let empty = inline_blob("", MOD_INFO);
        assert_eq!(decode_blob(&empty, None), Ok(None));
    }

    #[test]
    fn mod_info_without_sentinels_is_ignored() {
        assert_eq!(strip_sentinels(b"path\tx\n"), "");
        assert_eq!(strip_sentinels(&[b'a'; 40]), "");
    }

    #[test]
    fn devel_main_module_and_main_replacement() {
        let info = parse_mod_info("path\tx\nmod\texample.com/x\t(devel)\t\n").expect("parse");
        assert_eq!(
            names(&packages("p", "go1.20", &info)),
            [("stdlib".into(), "1.20".into())]
        );
        let info =
            parse_mod_info("mod\texample.com/x\tv1.0.0\t\n=>\texample.com/fork\tv1.0.1\th1:\n")
                .expect("parse");
        assert_eq!(
            names(&packages("p", "devel go1.23-abc", &info)),
            [("example.com/fork".into(), "v1.0.1".into())]
        );
    }

    #[test]
    fn stdlib_versions() {
        // Cases from Trivy's TestParseStdlibVersion (without Trivy's `v`).
        for (input, want) in [
            ("go1.22.3", Some("1.22.3")),
            ("go1.25.3 X:nodwarf5", Some("1.25.3")),
            ("go1.22.3 X:boringcrypto", Some("1.22.3")),
            ("go1.26.0-X:nodwarf5", Some("1.26.0")),
            ("go1.26.0-X:nodwarf5,someother", Some("1.26.0")),
            ("go1.26.5 (Red Hat 1.26.5-1.el10_2.alma.1)", Some("1.26.5")),
            (
                "go1.26.5 (Red Hat 1.26.5-1.el10_2.alma.1) X:jsonv2",
                Some("1.26.5"),
            ),
            ("devel go1.23-e8ee1dc4f9 Mon Oct 2", None),
            ("gox", None),
            ("", None),
        ] {
            assert_eq!(stdlib_version(input).as_deref(), want, "{input}");
        }
    }
}
