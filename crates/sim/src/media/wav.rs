//! A synthesised WAV chime: two bell-like notes (E6, C6) with a decaying envelope, 16-bit mono
//! PCM at 16 kHz. Every browser plays WAV.

const RATE: u32 = 16_000;

/// The chime file and its duration in seconds.
pub fn chime() -> (Vec<u8>, f64) {
    let seconds = 1.2;
    let total = (f64::from(RATE) * seconds) as usize;
    let notes = [(1318.5, 0.0), (1046.5, 0.45)];
    let samples: Vec<i16> = (0..total)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            let value: f64 = notes
                .iter()
                .filter(|(_, start)| t >= *start)
                .map(|(freq, start)| {
                    let local = t - start;
                    let envelope = (-local * 5.0).exp() * (local * 400.0).min(1.0);
                    let tone = (2.0 * std::f64::consts::PI * freq * local).sin()
                        + 0.3 * (4.0 * std::f64::consts::PI * freq * local).sin();
                    envelope * tone
                })
                .sum();
            (value * 0.35 * f64::from(i16::MAX)) as i16
        })
        .collect();
    (encode(&samples), seconds)
}

/// A RIFF/WAVE file of mono 16-bit samples.
fn encode(samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_describes_the_data() {
        let (wav, seconds) = super::chime();
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        let data_len = u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize;
        assert_eq!(wav.len(), 44 + data_len);
        assert_eq!(data_len, (16_000.0 * seconds) as usize * 2);
    }
}
