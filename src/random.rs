//! Random values for states, ids and made-up secrets, from the operating
//! system's CSPRNG.

use rand::TryRngCore;

/// `bytes` random bytes as lowercase hex (two characters a byte).
pub fn hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.try_fill_bytes(&mut buffer).expect("the OS random source works");
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_has_two_characters_a_byte_and_differs_each_time() {
        let (a, b) = (super::hex(16), super::hex(16));
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
