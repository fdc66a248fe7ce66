//! Read-only reader for the Berkeley DB hash database `Packages` used by
//! rpm up to 4.15 (RHEL/CentOS ≤ 8, Amazon Linux 2, old SUSE).
//!
//! The file is an array of fixed-size pages. Page 0 is the hash metadata
//! page: magic `0x061561` at offset 12 (its byte order tells the file's
//! byte order), page size at 20, encryption algorithm at 24, page type
//! (8 = hash metadata) at 25 and the last page number at 32. Every other
//! page starts with a 26-byte header: page number (8), previous (12) and
//! next (16) page numbers, entry count (20), high free offset (22) and page
//! type (25).
//!
//! Hash pages (type 13, or 2 for the unsorted pages of very old databases)
//! hold `entries` 16-bit offsets after the header, pairing key and value
//! items. An item starts with its type: 1 (`H_KEYDATA`) is stored inline up
//! to the previous item's offset; 3 (`H_OFFPAGE`) is `{type, 3 pad, pgno:
//! u32, tlen: u32}` and the value lives in a chain of overflow pages
//! (type 7) linked by their next-page number, each holding `hf_offset`
//! bytes of data after its header. rpm keys packages by a 4-byte header
//! number; key 0 holds a counter, not a header, and is skipped.
//!
//! Instead of hashing, the reader walks all pages in order and reports every
//! value it finds on hash pages. Every offset, length and page number is
//! checked; an overflow chain may not be longer (in pages) than the file,
//! must end exactly at its declared length, and all chains together may not
//! assemble more bytes than the file holds, which bounds the work on hostile
//! files to linear in their size.

/// Page sizes Berkeley DB supports.
const PAGE_SIZES: [u32; 8] = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const PAGE_TYPE_HASH_UNSORTED: u8 = 2;
const PAGE_TYPE_OVERFLOW: u8 = 7;
const PAGE_TYPE_HASH_META: u8 = 8;
const PAGE_TYPE_HASH: u8 = 13;
const ITEM_KEYDATA: u8 = 1;
const ITEM_OFFPAGE: u8 = 3;
/// Largest value (header blob) accepted from an overflow chain.
pub const MAX_VALUE: usize = 256 * 1024 * 1024;

/// Why a Berkeley DB file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BdbError {
    /// Shorter than a metadata page.
    #[error("file too short for a Berkeley DB metadata page")]
    TooShort,
    /// The magic number is not the hash access method's.
    #[error("not a Berkeley DB hash database")]
    BadMagic,
    /// The metadata page is not a hash metadata page.
    #[error("unexpected metadata page type {0}")]
    BadMetaType(u8),
    /// The page size is not one Berkeley DB uses.
    #[error("invalid page size {0}")]
    BadPageSize(u32),
    /// The database is encrypted.
    #[error("encrypted database (algorithm {0})")]
    Encrypted(u8),
    /// The file ends before the last page the metadata announces.
    #[error(
        "truncated: metadata announces {pages} pages of {page_size} bytes, file has {len} bytes"
    )]
    Truncated {
        /// Pages announced.
        pages: u64,
        /// Page size.
        page_size: u32,
        /// File length.
        len: usize,
    },
    /// A page or item is inconsistent.
    #[error("page {page}: {reason}")]
    Corrupt {
        /// Page number.
        page: u32,
        /// What is wrong.
        reason: &'static str,
    },
}

#[derive(Clone, Copy)]
struct Layout {
    page_size: usize,
    big_endian: bool,
    last_page: u32,
}

impl Layout {
    fn u16_at(self, data: &[u8], at: usize) -> Option<u16> {
        let b = data.get(at..at.checked_add(2)?)?;
        let b = [b[0], b[1]];
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(self, data: &[u8], at: usize) -> Option<u32> {
        let b = data.get(at..at.checked_add(4)?)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn page(self, data: &[u8], pgno: u32) -> Option<&[u8]> {
        if pgno > self.last_page {
            return None;
        }
        let start = (pgno as usize).checked_mul(self.page_size)?;
        data.get(start..start.checked_add(self.page_size)?)
    }
}

/// Whether `data` starts like a Berkeley DB hash database (either byte order).
pub fn is_bdb(data: &[u8]) -> bool {
    data.get(12..16).is_some_and(|m| {
        let m = [m[0], m[1], m[2], m[3]];
        u32::from_le_bytes(m) == HASH_MAGIC || u32::from_be_bytes(m) == HASH_MAGIC
    })
}

/// Calls `f` with every value (rpm header blob) stored in the database, in
/// page order. Stops at the first error, from the database or from `f`.
pub fn for_each_blob<E: From<BdbError>>(
    data: &[u8],
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let layout = read_meta(data)?;
    let mut value = Vec::new();
    let mut budget = data.len();
    for pgno in 1..=layout.last_page {
        let page = layout.page(data, pgno).ok_or(BdbError::Corrupt {
            page: pgno,
            reason: "page outside file",
        })?;
        let page_type = page.get(25).copied().unwrap_or_default();
        if page_type != PAGE_TYPE_HASH && page_type != PAGE_TYPE_HASH_UNSORTED {
            continue;
        }
        let corrupt = |reason| BdbError::Corrupt { page: pgno, reason };
        let entries = layout.u16_at(page, 20).ok_or(corrupt("short page"))? as usize;
        if !entries.is_multiple_of(2) {
            return Err(corrupt("odd number of hash items").into());
        }
        let index_end = PAGE_HEADER + entries * 2;
        if index_end > layout.page_size {
            return Err(corrupt("item index larger than page").into());
        }
        let offset = |i: usize| -> Result<usize, BdbError> {
            let off = layout
                .u16_at(page, PAGE_HEADER + i * 2)
                .ok_or(corrupt("short index"))? as usize;
            if off < index_end || off >= layout.page_size {
                return Err(corrupt("item offset outside page"));
            }
            Ok(off)
        };
        // Inline items run from their offset to the previous item's offset
        // (items are packed from the end of the page downwards).
        let item = |i: usize| -> Result<&[u8], BdbError> {
            let start = offset(i)?;
            let end = if i == 0 {
                layout.page_size
            } else {
                offset(i - 1)?
            };
            page.get(start..end).ok_or(corrupt("overlapping items"))
        };
        for pair in 0..entries / 2 {
            let key = item(pair * 2)?;
            let val = item(pair * 2 + 1)?;
            match val.first().copied() {
                Some(ITEM_KEYDATA) => {
                    // rpm's record 0 is a 4-byte counter, not a header.
                    let key_data = key.get(1..).unwrap_or_default();
                    if key.first() == Some(&ITEM_KEYDATA) && key_data.iter().all(|&b| b == 0) {
                        continue;
                    }
                    f(val.get(1..).unwrap_or_default())?;
                }
                Some(ITEM_OFFPAGE) => {
                    let first = layout
                        .u32_at(val, 4)
                        .ok_or(corrupt("short off-page item"))?;
                    let total = layout
                        .u32_at(val, 8)
                        .ok_or(corrupt("short off-page item"))?;
                    // Each overflow page belongs to one chain, so all values
                    // together cannot exceed the file; hostile files that
                    // point many items at one long chain stop here.
                    budget = budget
                        .checked_sub(total as usize)
                        .ok_or(corrupt("overflow pages shared between values"))?;
                    read_overflow(data, layout, first, total as usize, &mut value)?;
                    f(&value)?;
                }
                // Duplicate sets are not used by rpm's Packages database.
                _ => {}
            }
        }
    }
    Ok(())
}

fn read_meta(data: &[u8]) -> Result<Layout, BdbError> {
    let magic = data.get(12..16).ok_or(BdbError::TooShort)?;
    let magic = [magic[0], magic[1], magic[2], magic[3]];
    let big_endian = if u32::from_le_bytes(magic) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic) == HASH_MAGIC {
        true
    } else {
        return Err(BdbError::BadMagic);
    };
    let probe = Layout {
        page_size: 0,
        big_endian,
        last_page: 0,
    };
    let page_size = probe.u32_at(data, 20).ok_or(BdbError::TooShort)?;
    if !PAGE_SIZES.contains(&page_size) {
        return Err(BdbError::BadPageSize(page_size));
    }
    let encryption = data.get(24).copied().ok_or(BdbError::TooShort)?;
    if encryption != 0 {
        return Err(BdbError::Encrypted(encryption));
    }
    let meta_type = data.get(25).copied().ok_or(BdbError::TooShort)?;
    if meta_type != PAGE_TYPE_HASH_META {
        return Err(BdbError::BadMetaType(meta_type));
    }
    let last_page = probe.u32_at(data, 32).ok_or(BdbError::TooShort)?;
    let pages = u64::from(last_page) + 1;
    if pages.saturating_mul(u64::from(page_size)) > data.len() as u64 {
        return Err(BdbError::Truncated {
            pages,
            page_size,
            len: data.len(),
        });
    }
    Ok(Layout {
        page_size: page_size as usize,
        big_endian,
        last_page,
    })
}

/// Concatenates the overflow chain starting at `first` into `out`.
fn read_overflow(
    data: &[u8],
    layout: Layout,
    first: u32,
    total: usize,
    out: &mut Vec<u8>,
) -> Result<(), BdbError> {
    if total > MAX_VALUE {
        return Err(BdbError::Corrupt {
            page: first,
            reason: "overflow value too large",
        });
    }
    out.clear();
    out.reserve(total);
    let mut pgno = first;
    // A chain visits each page at most once; bounding the number of steps
    // by the number of pages rules out cycles.
    let mut steps = 0u64;
    while out.len() < total {
        steps += 1;
        if pgno == 0 || steps > u64::from(layout.last_page) {
            return Err(BdbError::Corrupt {
                page: pgno,
                reason: "overflow chain broken or looping",
            });
        }
        let corrupt = |reason| BdbError::Corrupt { page: pgno, reason };
        let page = layout
            .page(data, pgno)
            .ok_or(corrupt("overflow page outside file"))?;
        if page.get(25).copied() != Some(PAGE_TYPE_OVERFLOW) {
            return Err(corrupt("expected an overflow page"));
        }
        let len = layout.u16_at(page, 22).ok_or(corrupt("short page"))? as usize;
        let chunk = page
            .get(PAGE_HEADER..PAGE_HEADER.saturating_add(len))
            .ok_or(corrupt("overflow length larger than page"))?;
        let take = chunk.len().min(total - out.len());
        out.extend_from_slice(chunk.get(..take).unwrap_or_default());
        pgno = layout.u32_at(page, 16).ok_or(corrupt("short page"))?;
        if len == 0 && pgno == 0 {
            break;
        }
    }
    if out.len() != total {
        return Err(BdbError::Corrupt {
            page: first,
            reason: "overflow chain shorter than its value",
        });
    }
    if pgno != 0 {
        return Err(BdbError::Corrupt {
            page: first,
            reason: "overflow chain longer than its value",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: usize = 512;

    struct Writer {
        big_endian: bool,
    }

    impl Writer {
        fn u16(&self, buf: &mut [u8], at: usize, v: u16) {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            buf[at..at + 2].copy_from_slice(&b);
        }

        fn u32(&self, buf: &mut [u8], at: usize, v: u32) {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            buf[at..at + 4].copy_from_slice(&b);
        }

        fn page_header(
            &self,
            page: &mut [u8],
            pgno: u32,
            next: u32,
            entries: u16,
            hf: u16,
            kind: u8,
        ) {
            self.u32(page, 8, pgno);
            self.u32(page, 16, next);
            self.u16(page, 20, entries);
            self.u16(page, 22, hf);
            page[25] = kind;
        }
    }

    /// Meta page, one hash page with the counter record and one off-page
    /// value spread over two overflow pages.
    fn small_db(value: &[u8], big_endian: bool) -> Vec<u8> {
        let w = Writer { big_endian };
        let mut db = vec![0u8; PS * 4];
        let (meta, rest) = db.split_at_mut(PS);
        w.u32(meta, 12, HASH_MAGIC);
        w.u32(meta, 20, PS as u32);
        meta[25] = PAGE_TYPE_HASH_META;
        w.u32(meta, 32, 3);
        let (hash, overflow) = rest.split_at_mut(PS);
        w.page_header(hash, 1, 0, 4, 0, PAGE_TYPE_HASH);
        // Items from the end of the page: key0 (5), val0 (5), key1 (5), val1 (12).
        let offsets = [PS - 5, PS - 10, PS - 15, PS - 27];
        for (i, off) in offsets.iter().enumerate() {
            w.u16(hash, PAGE_HEADER + i * 2, *off as u16);
        }
        hash[PS - 5] = ITEM_KEYDATA; // key 0
        hash[PS - 10] = ITEM_KEYDATA; // counter value
        hash[PS - 9] = 1;
        hash[PS - 15] = ITEM_KEYDATA; // key 1
        hash[PS - 14] = 1;
        hash[PS - 27] = ITEM_OFFPAGE;
        w.u32(hash, PS - 23, 2);
        w.u32(hash, PS - 19, value.len() as u32);
        let cap = PS - PAGE_HEADER;
        let (first, second) = value.split_at(value.len().min(cap));
        let (p2, p3) = overflow.split_at_mut(PS);
        w.page_header(p2, 2, 3, 0, first.len() as u16, PAGE_TYPE_OVERFLOW);
        p2[PAGE_HEADER..PAGE_HEADER + first.len()].copy_from_slice(first);
        w.page_header(p3, 3, 0, 0, second.len() as u16, PAGE_TYPE_OVERFLOW);
        p3[PAGE_HEADER..PAGE_HEADER + second.len()].copy_from_slice(second);
        db
    }

    fn values(db: &[u8]) -> Result<Vec<Vec<u8>>, BdbError> {
        let mut out = Vec::new();
        for_each_blob::<BdbError>(db, |v| {
            out.push(v.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_overflow_values_and_skips_counter() {
        let value: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        for big_endian in [false, true] {
            let db = small_db(&value, big_endian);
            assert!(is_bdb(&db));
            assert_eq!(
                values(&db),
                Ok(vec![value.clone()]),
                "big endian: {big_endian}"
            );
        }
    }

    #[test]
    fn truncation_and_corruption_are_errors() {
        let value = vec![7u8; 700];
        let db = small_db(&value, false);
        assert!(matches!(
            values(&db[..PS * 3]),
            Err(BdbError::Truncated { .. })
        ));
        assert_eq!(values(&db[..10]), Err(BdbError::TooShort));

        // Overflow chain pointing at itself.
        let mut looping = db.clone();
        looping[PS * 2 + 16..PS * 2 + 20].copy_from_slice(&2u32.to_le_bytes());
        assert!(matches!(values(&looping), Err(BdbError::Corrupt { .. })));

        // Declared total larger than the chain.
        let mut short = db.clone();
        short[PS * 2 - 19..PS * 2 - 15].copy_from_slice(&5000u32.to_le_bytes());
        assert!(matches!(values(&short), Err(BdbError::Corrupt { .. })));

        // Item offset inside the index.
        let mut bad_offset = db.clone();
        bad_offset[PS + PAGE_HEADER..PS + PAGE_HEADER + 2].copy_from_slice(&3u16.to_le_bytes());
        assert!(matches!(values(&bad_offset), Err(BdbError::Corrupt { .. })));

        let mut bad_size = db.clone();
        bad_size[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(values(&bad_size), Err(BdbError::BadPageSize(1000)));

        let mut encrypted = db;
        encrypted[24] = 1;
        assert_eq!(values(&encrypted), Err(BdbError::Encrypted(1)));
    }
}
