//! A small PNG encoder: RGB images, rows filtered with "Up", compressed by a fixed-Huffman
//! deflate that finds runs (distance 1, one pixel back, one row back). Enough for the
//! simulator's drawn pictures and avatars, with no dependency.

/// Encodes `rgb` (`width * height * 3` bytes, rows top to bottom) as a PNG file.
pub fn encode(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let stride = width as usize * 3;
    debug_assert_eq!(rgb.len(), stride * height as usize);
    // Each row: filter type 2 (Up), then the difference with the row above.
    let mut filtered = Vec::with_capacity((stride + 1) * height as usize);
    for y in 0..height as usize {
        filtered.push(2);
        let row = &rgb[y * stride..(y + 1) * stride];
        match y {
            0 => filtered.extend_from_slice(row),
            _ => {
                let above = &rgb[(y - 1) * stride..y * stride];
                filtered.extend(row.iter().zip(above).map(|(a, b)| a.wrapping_sub(*b)));
            }
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive filters, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib(&filtered, stride + 1));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks use it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A zlib stream of one fixed-Huffman deflate block.
fn zlib(data: &[u8], row_len: usize) -> Vec<u8> {
    let mut bits = BitSink::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman
    let mut i = 0;
    while i < data.len() {
        let best = [1, 3, row_len]
            .into_iter()
            .filter(|&d| d <= i)
            .map(|d| (match_len(data, i, d), d))
            .max_by_key(|&(len, _)| len)
            .filter(|&(len, _)| len >= 3);
        match best {
            Some((len, dist)) => {
                bits.length(len);
                bits.distance(dist);
                i += len;
            }
            None => {
                bits.literal(u16::from(data[i]));
                i += 1;
            }
        }
    }
    bits.literal(256); // end of block
    let mut out = vec![0x78, 0x01];
    out.extend_from_slice(&bits.finish());
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn match_len(data: &[u8], i: usize, dist: usize) -> usize {
    let max = (data.len() - i).min(258);
    (0..max)
        .take_while(|&k| data[i + k] == data[i + k - dist])
        .count()
}

/// Deflate's bit order: values LSB first, Huffman codes MSB first.
#[derive(Default)]
struct BitSink {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u32; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

impl BitSink {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        let reversed = (0..len).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
        self.put(reversed, len);
    }

    /// A literal byte (0–255) or end of block (256) in the fixed code.
    fn literal(&mut self, value: u16) {
        let v = u32::from(value);
        match v {
            0..=143 => self.code(0x30 + v, 8),
            144..=255 => self.code(0x190 + v - 144, 9),
            256..=279 => self.code(v - 256, 7),
            _ => self.code(0xC0 + v - 280, 8),
        }
    }

    fn length(&mut self, len: usize) {
        let i = LENGTH_BASE
            .iter()
            .rposition(|&b| usize::from(b) <= len)
            .unwrap_or(0);
        self.literal(257 + i as u16);
        self.put(len as u32 - u32::from(LENGTH_BASE[i]), LENGTH_EXTRA[i]);
    }

    fn distance(&mut self, dist: usize) {
        let i = DIST_BASE
            .iter()
            .rposition(|&b| b as usize <= dist)
            .unwrap_or(0);
        self.code(i as u32, 5);
        self.put(dist as u32 - DIST_BASE[i], DIST_EXTRA[i]);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference() {
        // The CRC of an IEND chunk is a constant every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn flat_images_compress() {
        let rgb = vec![200u8; 64 * 64 * 3];
        let png = encode(64, 64, &rgb);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.len() < 1500, "{} bytes", png.len());
    }
}
