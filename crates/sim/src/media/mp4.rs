//! A tiny MP4 video writer: H.264 Baseline, every frame an IDR picture whose macroblocks are all
//! I_PCM (raw samples, no prediction or transform). Bulky per pixel, but valid and decodable by
//! every H.264 decoder, so a browser's `<video>` plays it — with no encoder on the machine.
//!
//! The file is "fast start": `ftyp`, `moov` (one video track, all samples in one chunk), `mdat`.

/// A picture in YCbCr 4:2:0: `y` is `width * height`, `cb` and `cr` a quarter each.
pub struct Frame {
    pub y: Vec<u8>,
    pub cb: Vec<u8>,
    pub cr: Vec<u8>,
}

/// Encodes `frames` of `width` x `height` (multiples of 16) at `fps` as an MP4 file.
pub fn encode(width: u32, height: u32, fps: u32, frames: &[Frame]) -> Vec<u8> {
    assert!(
        width % 16 == 0 && height % 16 == 0,
        "whole macroblocks only"
    );
    let sps = nal(0x67, &sps_rbsp(width, height));
    let pps = nal(0x68, &pps_rbsp());
    let samples: Vec<Vec<u8>> = frames
        .iter()
        .enumerate()
        .map(|(i, frame)| {
            let slice = nal(0x65, &idr_slice_rbsp(width, height, (i % 2) as u32, frame));
            let mut sample = (slice.len() as u32).to_be_bytes().to_vec();
            sample.extend_from_slice(&slice);
            sample
        })
        .collect();
    let ftyp = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    // The chunk offset depends on the moov size, which does not depend on the offset's value.
    let moov_len = moov(width, height, fps, &sps, &pps, &samples, 0).len();
    let mdat_payload_at = (ftyp.len() + moov_len + 8) as u32;
    let moov = moov(width, height, fps, &sps, &pps, &samples, mdat_payload_at);
    let mdat = mp4_box(b"mdat", &samples.concat());
    [ftyp, moov, mdat].concat()
}

/// A bit writer for H.264 syntax: MSB first, Exp-Golomb codes.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u8,
    n: u8,
}

impl Bits {
    fn bit(&mut self, b: bool) {
        self.acc = (self.acc << 1) | u8::from(b);
        self.n += 1;
        if self.n == 8 {
            self.out.push(self.acc);
            self.acc = 0;
            self.n = 0;
        }
    }

    fn u(&mut self, value: u32, count: u32) {
        for i in (0..count).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }

    fn ue(&mut self, value: u32) {
        let v = value + 1;
        let len = 32 - v.leading_zeros();
        self.u(0, len - 1);
        self.u(v, len);
    }

    fn se(&mut self, value: i32) {
        let mapped = if value > 0 {
            2 * value as u32 - 1
        } else {
            (-2 * value) as u32
        };
        self.ue(mapped);
    }

    fn align_zero(&mut self) {
        while self.n != 0 {
            self.bit(false);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.n, 0);
        self.out.extend_from_slice(bytes);
    }

    /// rbsp_trailing_bits: a stop bit, then zeros to the byte boundary.
    fn trailing(mut self) -> Vec<u8> {
        self.bit(true);
        self.align_zero();
        self.out
    }
}

fn sps_rbsp(width: u32, height: u32) -> Vec<u8> {
    let mut b = Bits::default();
    b.u(66, 8); // profile_idc: Baseline
    b.u(0b1100_0000, 8); // constraint_set0/1: constrained baseline
    b.u(30, 8); // level_idc 3.0
    b.ue(0); // seq_parameter_set_id
    b.ue(0); // log2_max_frame_num_minus4
    b.ue(2); // pic_order_cnt_type 2: output order = decoding order
    b.ue(1); // max_num_ref_frames
    b.bit(false); // gaps_in_frame_num_value_allowed_flag
    b.ue(width / 16 - 1);
    b.ue(height / 16 - 1);
    b.bit(true); // frame_mbs_only_flag
    b.bit(true); // direct_8x8_inference_flag
    b.bit(false); // frame_cropping_flag
    b.bit(false); // vui_parameters_present_flag
    b.trailing()
}

fn pps_rbsp() -> Vec<u8> {
    let mut b = Bits::default();
    b.ue(0); // pic_parameter_set_id
    b.ue(0); // seq_parameter_set_id
    b.bit(false); // entropy_coding_mode_flag: CAVLC
    b.bit(false); // bottom_field_pic_order_in_frame_present_flag
    b.ue(0); // num_slice_groups_minus1
    b.ue(0); // num_ref_idx_l0_default_active_minus1
    b.ue(0); // num_ref_idx_l1_default_active_minus1
    b.bit(false); // weighted_pred_flag
    b.u(0, 2); // weighted_bipred_idc
    b.se(0); // pic_init_qp_minus26
    b.se(0); // pic_init_qs_minus26
    b.se(0); // chroma_qp_index_offset
    b.bit(false); // deblocking_filter_control_present_flag
    b.bit(false); // constrained_intra_pred_flag
    b.bit(false); // redundant_pic_cnt_present_flag
    b.trailing()
}

fn idr_slice_rbsp(width: u32, height: u32, idr_pic_id: u32, frame: &Frame) -> Vec<u8> {
    let mut b = Bits::default();
    b.ue(0); // first_mb_in_slice
    b.ue(7); // slice_type: I (all slices of the picture)
    b.ue(0); // pic_parameter_set_id
    b.u(0, 4); // frame_num (log2_max_frame_num = 4)
    b.ue(idr_pic_id); // consecutive IDR pictures differ
    b.bit(false); // no_output_of_prior_pics_flag
    b.bit(false); // long_term_reference_flag
    b.se(0); // slice_qp_delta
    let (mbs_x, mbs_y) = (width / 16, height / 16);
    let w = width as usize;
    for my in 0..mbs_y as usize {
        for mx in 0..mbs_x as usize {
            b.ue(25); // mb_type I_PCM
            b.align_zero(); // pcm_alignment_zero_bit
            for row in 0..16 {
                let at = (my * 16 + row) * w + mx * 16;
                b.bytes(&frame.y[at..at + 16]);
            }
            for plane in [&frame.cb, &frame.cr] {
                for row in 0..8 {
                    let at = (my * 8 + row) * (w / 2) + mx * 8;
                    b.bytes(&plane[at..at + 8]);
                }
            }
        }
    }
    b.trailing()
}

/// A NAL unit (header byte + payload with emulation prevention), without a start code.
fn nal(header: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64 + 1);
    out.push(header);
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = ((content.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

/// A "full box": version and flags before the content.
fn full_box(kind: &[u8; 4], version: u8, flags: u32, content: &[u8]) -> Vec<u8> {
    let mut body = vec![version];
    body.extend_from_slice(&flags.to_be_bytes()[1..]);
    body.extend_from_slice(content);
    mp4_box(kind, &body)
}

fn be32(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

const UNITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn moov(
    width: u32,
    height: u32,
    fps: u32,
    sps: &[u8],
    pps: &[u8],
    samples: &[Vec<u8>],
    chunk_offset: u32,
) -> Vec<u8> {
    const MOVIE_TIMESCALE: u32 = 1000;
    let media_timescale = fps * 100;
    let count = samples.len() as u32;
    let duration_ms = count * 1000 / fps;

    let mut mvhd = be32(&[0, 0, MOVIE_TIMESCALE, duration_ms, 0x0001_0000]);
    mvhd.extend_from_slice(&[0x01, 0x00, 0, 0]); // volume 1.0, reserved
    mvhd.extend_from_slice(&be32(&[0, 0]));
    mvhd.extend_from_slice(&be32(&UNITY_MATRIX));
    mvhd.extend_from_slice(&be32(&[0; 6]));
    mvhd.extend_from_slice(&be32(&[2])); // next_track_ID
    let mvhd = full_box(b"mvhd", 0, 0, &mvhd);

    let mut tkhd = be32(&[0, 0, 1, 0, duration_ms, 0, 0]);
    tkhd.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // layer, alternate_group, volume, reserved
    tkhd.extend_from_slice(&be32(&UNITY_MATRIX));
    tkhd.extend_from_slice(&be32(&[width << 16, height << 16]));
    let tkhd = full_box(b"tkhd", 0, 3, &tkhd); // enabled, in movie

    let mut mdhd = be32(&[0, 0, media_timescale, count * 100]);
    mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]); // language "und", pre_defined
    let mdhd = full_box(b"mdhd", 0, 0, &mdhd);
    let mut hdlr = be32(&[0]);
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&be32(&[0, 0, 0]));
    hdlr.extend_from_slice(b"udesk-sim video\0");
    let hdlr = full_box(b"hdlr", 0, 0, &hdlr);

    let vmhd = full_box(b"vmhd", 0, 1, &[0; 8]);
    let url = full_box(b"url ", 0, 1, &[]);
    let dref = full_box(b"dref", 0, 0, &[be32(&[1]), url].concat());
    let dinf = mp4_box(b"dinf", &dref);

    let mut avcc = vec![1, 66, 0b1100_0000, 30, 0xFF, 0xE1];
    avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(sps);
    avcc.push(1);
    avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    avcc.extend_from_slice(pps);
    let avcc = mp4_box(b"avcC", &avcc);
    let mut avc1 = vec![0; 6];
    avc1.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
    avc1.extend_from_slice(&[0; 16]); // pre_defined, reserved
    avc1.extend_from_slice(&(width as u16).to_be_bytes());
    avc1.extend_from_slice(&(height as u16).to_be_bytes());
    avc1.extend_from_slice(&be32(&[0x0048_0000, 0x0048_0000, 0])); // 72 dpi
    avc1.extend_from_slice(&1u16.to_be_bytes()); // frame_count
    let mut compressor = [0u8; 32];
    let name = b"udesk-sim I_PCM";
    compressor[0] = name.len() as u8;
    compressor[1..=name.len()].copy_from_slice(name);
    avc1.extend_from_slice(&compressor);
    avc1.extend_from_slice(&[0x00, 0x18, 0xFF, 0xFF]); // depth 24, pre_defined -1
    avc1.extend_from_slice(&avcc);
    let stsd = full_box(
        b"stsd",
        0,
        0,
        &[be32(&[1]), mp4_box(b"avc1", &avc1)].concat(),
    );
    let stts = full_box(b"stts", 0, 0, &be32(&[1, count, 100]));
    let stsc = full_box(b"stsc", 0, 0, &be32(&[1, 1, count, 1]));
    let mut sizes = vec![0, count];
    sizes.extend(samples.iter().map(|s| s.len() as u32));
    let stsz = full_box(b"stsz", 0, 0, &be32(&sizes));
    let stco = full_box(b"stco", 0, 0, &be32(&[1, chunk_offset]));
    let stbl = mp4_box(b"stbl", &[stsd, stts, stsc, stsz, stco].concat());

    let minf = mp4_box(b"minf", &[vmhd, dinf, stbl].concat());
    let mdia = mp4_box(b"mdia", &[mdhd, hdlr, minf].concat());
    let trak = mp4_box(b"trak", &[tkhd, mdia].concat());
    mp4_box(b"moov", &[mvhd, trak].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_codes() {
        let mut b = Bits::default();
        b.ue(0); // 1
        b.ue(1); // 010
        b.ue(2); // 011
        b.ue(25); // 000011010
        b.se(-1); // ue(2) = 011
        let out = b.trailing();
        // 1 010 011 0 | 0001 1010 | 011 1 0000
        assert_eq!(out, [0b1010_0110, 0b0001_1010, 0b0111_0000]);
    }

    #[test]
    fn start_codes_cannot_appear_in_a_nal() {
        assert_eq!(
            nal(0x65, &[0, 0, 1, 0, 0, 0]),
            [0x65, 0, 0, 3, 1, 0, 0, 3, 0]
        );
    }

    #[test]
    fn the_file_is_fast_start_and_offsets_point_at_the_samples() {
        let frame = Frame {
            y: vec![128; 32 * 16],
            cb: vec![128; 16 * 8],
            cr: vec![128; 16 * 8],
        };
        let file = encode(32, 16, 4, &[frame]);
        assert_eq!(&file[4..8], b"ftyp");
        let moov_at = u32::from_be_bytes(file[0..4].try_into().unwrap()) as usize;
        assert_eq!(&file[moov_at + 4..moov_at + 8], b"moov");
        let moov_len = u32::from_be_bytes(file[moov_at..moov_at + 4].try_into().unwrap()) as usize;
        let mdat_at = moov_at + moov_len;
        assert_eq!(&file[mdat_at + 4..mdat_at + 8], b"mdat");
        let stco = file.windows(4).position(|w| w == b"stco").unwrap();
        let offset = u32::from_be_bytes(file[stco + 12..stco + 16].try_into().unwrap()) as usize;
        assert_eq!(offset, mdat_at + 8);
        // The first sample is a length-prefixed IDR NAL.
        assert_eq!(file[offset + 4], 0x65);
    }
}
