//! Read-only reader for rpm's native "NDB" `Packages.db` (SUSE since
//! SLE 15 / openSUSE Leap 15, optional elsewhere).
//!
//! All integers are little-endian. The file starts with slot pages of
//! 4096 bytes; the first 32 bytes of page 0 are the database header
//! (`"RpmP"`, version 0, generation, number of slot pages, 16 reserved
//! bytes), the rest are 16-byte slots (`"Slot"`, package index, block
//! offset, block count; package index 0 is a free slot). Blocks are 16
//! bytes. A package's blob starts at `block offset × 16` with a 16-byte head
//! (`"BlbS"`, package index, generation, blob length), then the header blob,
//! zero padding, and a 12-byte tail (Adler-32 of everything before it,
//! blob length, `"BlbE"`) ending exactly at `(offset + count) × 16`.
//!
//! Every slot is validated against the file: the blob must lie inside it,
//! its head and tail must agree with the slot, and the Adler-32 checksum
//! must match, so truncated or corrupted databases are reported instead of
//! yielding garbage headers.

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const TAIL_MAGIC: &[u8; 4] = b"BlbE";
const SLOT_PAGE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;
/// Most slot pages accepted (each describes 256 packages).
pub const MAX_SLOT_PAGES: u32 = 2048;

/// Why an NDB file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdbError {
    /// Shorter than the database header.
    #[error("file too short for an NDB header")]
    TooShort,
    /// Not `RpmP` / unsupported version.
    #[error("not an rpm NDB database (or unsupported version)")]
    BadHeader,
    /// Zero or too many slot pages.
    #[error("invalid number of slot pages ({0})")]
    BadSlotPages(u32),
    /// The slot pages extend beyond the file.
    #[error("truncated slot pages")]
    TruncatedSlots,
    /// A slot is inconsistent.
    #[error("slot {slot}: {reason}")]
    BadSlot {
        /// Slot number (counting the header's two slots).
        slot: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Whether `data` starts like an NDB database.
pub fn is_ndb(data: &[u8]) -> bool {
    data.get(..4) == Some(&HEADER_MAGIC[..])
}

/// Calls `f` with every package header blob, in slot order. Stops at the
/// first error, from the database or from `f`.
pub fn for_each_blob<'a, E: From<NdbError>>(
    data: &'a [u8],
    mut f: impl FnMut(&'a [u8]) -> Result<(), E>,
) -> Result<(), E> {
    if data.len() < 32 {
        return Err(NdbError::TooShort.into());
    }
    if !is_ndb(data) || le_u32(data, 4) != Some(0) {
        return Err(NdbError::BadHeader.into());
    }
    let pages = le_u32(data, 12).ok_or(NdbError::TooShort)?;
    if pages == 0 || pages > MAX_SLOT_PAGES {
        return Err(NdbError::BadSlotPages(pages).into());
    }
    let slots_end = pages as usize * SLOT_PAGE;
    let slots = data.get(..slots_end).ok_or(NdbError::TruncatedSlots)?;
    // Blobs of distinct slots do not overlap, so together they cannot be
    // larger than the file; slots pointing at one blob repeatedly stop here.
    let mut budget = data.len();
    // The first two slots are the database header.
    for slot in 2..slots_end / SLOT_SIZE {
        let at = slot * SLOT_SIZE;
        let bad = |reason| NdbError::BadSlot { slot, reason };
        if slots.get(at..at + 4) != Some(&SLOT_MAGIC[..]) {
            return Err(bad("bad slot magic").into());
        }
        let (Some(pkg), Some(block_offset), Some(block_count)) = (
            le_u32(slots, at + 4),
            le_u32(slots, at + 8),
            le_u32(slots, at + 12),
        ) else {
            return Err(bad("short slot").into());
        };
        if pkg == 0 {
            continue;
        }
        let start = (block_offset as usize)
            .checked_mul(BLOCK)
            .ok_or(bad("offset overflow"))?;
        let end = (block_offset as usize)
            .checked_add(block_count as usize)
            .and_then(|b| b.checked_mul(BLOCK))
            .ok_or(bad("offset overflow"))?;
        if start < slots_end {
            return Err(bad("blob inside the slot pages").into());
        }
        let block = data
            .get(start..end)
            .ok_or(bad("blob extends beyond the file"))?;
        budget = budget
            .checked_sub(block.len())
            .ok_or(bad("blobs overlap"))?;
        if block.len() < BLOB_HEAD + BLOB_TAIL {
            return Err(bad("blob block too small").into());
        }
        if block.get(..4) != Some(&BLOB_MAGIC[..]) {
            return Err(bad("bad blob magic").into());
        }
        if le_u32(block, 4) != Some(pkg) {
            return Err(bad("blob belongs to another package").into());
        }
        let blob_len = le_u32(block, 12).ok_or(bad("short blob head"))? as usize;
        let needed = (BLOB_HEAD + BLOB_TAIL)
            .checked_add(blob_len)
            .map(|n| n.div_ceil(BLOCK) * BLOCK)
            .ok_or(bad("blob length overflow"))?;
        if needed != block.len() {
            return Err(bad("blob length does not match its block count").into());
        }
        let tail_at = block.len() - BLOB_TAIL;
        let (body, tail) = block.split_at(tail_at);
        if tail.get(8..12) != Some(&TAIL_MAGIC[..]) {
            return Err(bad("bad blob tail magic").into());
        }
        if le_u32(tail, 4) != Some(blob_len as u32) {
            return Err(bad("blob tail length mismatch").into());
        }
        if le_u32(tail, 0) != Some(adler32(body)) {
            return Err(bad("blob checksum mismatch").into());
        }
        let blob = body
            .get(BLOB_HEAD..BLOB_HEAD + blob_len)
            .ok_or(bad("blob outside its block"))?;
        f(blob)?;
    }
    Ok(())
}

fn le_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 is the largest n with 255·n·(n+1)/2 + (n+1)·(MOD−1) < 2³².
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(blobs: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![0u8; SLOT_PAGE];
        out[..4].copy_from_slice(HEADER_MAGIC);
        out[12..16].copy_from_slice(&1u32.to_le_bytes());
        for slot in 2..SLOT_PAGE / SLOT_SIZE {
            out[slot * SLOT_SIZE..slot * SLOT_SIZE + 4].copy_from_slice(SLOT_MAGIC);
        }
        for (i, blob) in blobs.iter().enumerate() {
            let pkg = i as u32 + 1;
            let offset = out.len() / BLOCK;
            let mut block = Vec::new();
            block.extend_from_slice(BLOB_MAGIC);
            block.extend_from_slice(&pkg.to_le_bytes());
            block.extend_from_slice(&1u32.to_le_bytes());
            block.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            block.extend_from_slice(blob);
            while !(block.len() + BLOB_TAIL).is_multiple_of(BLOCK) {
                block.push(0);
            }
            let sum = adler32(&block);
            block.extend_from_slice(&sum.to_le_bytes());
            block.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            block.extend_from_slice(TAIL_MAGIC);
            let slot = (i + 2) * SLOT_SIZE;
            out[slot + 4..slot + 8].copy_from_slice(&pkg.to_le_bytes());
            out[slot + 8..slot + 12].copy_from_slice(&(offset as u32).to_le_bytes());
            out[slot + 12..slot + 16]
                .copy_from_slice(&((block.len() / BLOCK) as u32).to_le_bytes());
            out.extend_from_slice(&block);
        }
        out
    }

    fn blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, NdbError> {
        let mut out = Vec::new();
        for_each_blob::<NdbError>(data, |b| {
            out.push(b.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn adler32_reference() {
        // RFC 1950 / zlib reference value.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(&vec![0xffu8; 100_000]), {
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 255) % 65_521;
                b = (b + a) % 65_521;
            }
            ((b << 16) | a) as u32
        });
    }

    #[test]
    fn reads_blobs() {
        let data = db(&[b"first header", b"second"]);
        assert!(is_ndb(&data));
        assert_eq!(
            blobs(&data),
            Ok(vec![b"first header".to_vec(), b"second".to_vec()])
        );
    }

    #[test]
    fn truncation_and_corruption() {
        let data = db(&[b"first header", b"second"]);
        for len in [0, 10, 31, 100, SLOT_PAGE - 1, data.len() - 1] {
            assert!(blobs(&data[..len]).is_err(), "len {len}");
        }
        let mut flipped = data.clone();
        let last = flipped.len() - 20;
        flipped[last] ^= 1;
        assert!(matches!(
            blobs(&flipped),
            Err(NdbError::BadSlot {
                reason: "blob checksum mismatch",
                ..
            })
        ));
        let mut huge_pages = data.clone();
        huge_pages[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(blobs(&huge_pages), Err(NdbError::BadSlotPages(u32::MAX)));
        let mut bad_offset = data;
        bad_offset[2 * SLOT_SIZE + 8..2 * SLOT_SIZE + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&bad_offset).is_err());
    }
}
