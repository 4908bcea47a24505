//! A one-file zip archive, for Lambda's CreateFunction.
//!
//! moto opens the deployment package with Python's `zipfile`, so it must be a real archive; a
//! stored (uncompressed) entry needs only a CRC-32, which is cheaper to write out here than to
//! pull a compression crate into the build for twenty bytes of Python.

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip requires.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// An archive holding `name` with `contents`, stored without compression.
pub fn single_file(name: &str, contents: &[u8]) -> Vec<u8> {
    let crc = crc32(contents);
    let size = u32::try_from(contents.len()).expect("a small file");
    let name_len = u16::try_from(name.len()).expect("a short name");
    let mut out = Vec::with_capacity(100 + 2 * name.len() + contents.len());
    // Local file header.
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    out.extend_from_slice(&0u16.to_le_bytes()); // time
    out.extend_from_slice(&0x0021u16.to_le_bytes()); // date: 1980-01-01
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra length
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(contents);
    let directory_offset = u32::try_from(out.len()).expect("a small archive");
    // Central directory entry.
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version made by
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&0u16.to_le_bytes()); // method
    out.extend_from_slice(&0u16.to_le_bytes()); // time
    out.extend_from_slice(&0x0021u16.to_le_bytes()); // date
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&[0; 8]); // extra, comment, disk number, internal attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let directory_size = u32::try_from(out.len()).expect("a small archive") - directory_offset;
    // End of central directory.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&directory_size.to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

#[cfg(test)]
mod tests {
    use super::{crc32, single_file};

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn archive_layout() {
        let archive = single_file("app.py", b"x = 1\n");
        assert_eq!(&archive[..4], b"PK\x03\x04");
        assert_eq!(archive.len(), 30 + 6 + 6 + 46 + 6 + 22);
        assert_eq!(&archive[archive.len() - 22..archive.len() - 18], b"PK\x05\x06");
    }
}
