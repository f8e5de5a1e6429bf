//! Root passwords and generated StackScript values for new Linodes.
//!
//! Drawn from the operating system's CSPRNG through `rand`'s `OsRng`; each
//! character is picked with `choose`, which samples without modulo bias. A
//! draw that lacks one of the three classes (lower, upper, digit) is thrown
//! away and drawn again, so every valid password stays equally likely.
//!
//! Letters and digits only: StackScripts paste their values into shell
//! commands and configuration files, where `\`, `'`, `"`, `` ` ``, `$` or `&`
//! break them. 32 characters from 62 give about 190 bits, far past Linode's
//! strength check and the 128 bits a secret needs.

use rand::TryRngCore;
use rand::rngs::OsRng;
use rand::seq::IndexedRandom;
use secrecy::SecretString;

/// Characters a password is drawn from: ASCII letters and digits.
pub const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Length of a generated password (Linode accepts 7 to 128).
pub const LENGTH: usize = 32;

/// Linode's bounds on `root_pass` length.
pub const LINODE_BOUNDS: std::ops::RangeInclusive<usize> = 7..=128;

/// A new random root password with every character class present.
pub fn generate() -> SecretString {
    generate_with_length(LENGTH)
}

/// A new random password of `length` characters (at least 3, so every class fits).
pub fn generate_with_length(length: usize) -> SecretString {
    assert!(length >= 3, "a password needs room for three character classes");
    let mut rng = OsRng.unwrap_err();
    loop {
        let candidate: String =
            (0..length).map(|_| *ALPHABET.choose(&mut rng).expect("alphabet is not empty") as char).collect();
        if has_every_class(&candidate) {
            return candidate.into();
        }
    }
}

/// What a password the visitor chooses must meet, in words.
pub const VISITOR_RULES: &str =
    "Use 12 to 128 characters with at least three of: lowercase, uppercase, digits, symbols.";

/// Checks a root password the visitor chose. Stricter than Linode's bare
/// 7..128 so that Linode's strength check does not refuse it after login.
pub fn check_visitor_password(password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|present| *present)
    .count();
    let printable = password.chars().all(|c| !c.is_control());
    if (12..=128).contains(&length) && classes >= 3 && printable { Ok(()) } else { Err(VISITOR_RULES) }
}

/// Whether `s` has a lowercase letter, an uppercase letter and a digit.
pub fn has_every_class(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_lowercase())
        && s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars().any(|c| c.is_ascii_digit())
}

/// Bits of entropy in a generated value of `length` characters.
pub fn entropy_bits(length: usize) -> f64 {
    length as f64 * (ALPHABET.len() as f64).log2()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_alphabet_is_letters_and_digits_only() {
        assert_eq!(ALPHABET.len(), 26 + 26 + 10);
        assert!(ALPHABET.iter().all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn a_generated_value_has_at_least_128_bits_in_22_or_more_characters() {
        let length = generate().expose_secret().chars().count();
        assert!(length >= 22, "{length}");
        assert!(entropy_bits(length) >= 128.0, "{}", entropy_bits(length));
    }

    #[test]
    fn no_generated_value_has_a_character_that_shells_or_config_files_treat_specially() {
        for _ in 0..200 {
            let value = generate();
            assert!(!value.expose_secret().contains(['\\', '\'', '"', '`', '$', '&', ' ']));
        }
    }

    #[test]
    fn a_default_password_fits_linodes_bounds() {
        let password = generate();
        assert_eq!(password.expose_secret().len(), LENGTH);
        assert!(LINODE_BOUNDS.contains(&LENGTH));
    }

    #[test]
    fn two_passwords_differ() {
        assert_ne!(generate().expose_secret(), generate().expose_secret());
    }

    #[test]
    fn every_character_of_the_alphabet_turns_up() {
        let mut seen = [false; 128];
        for _ in 0..200 {
            for b in generate().expose_secret().bytes() {
                seen[b as usize] = true;
            }
        }
        assert!(ALPHABET.iter().all(|b| seen[*b as usize]));
    }

    #[test]
    fn a_visitor_password_needs_length_and_three_classes() {
        assert!(check_visitor_password("Correct-horse-9").is_ok());
        assert!(check_visitor_password("short-A1").is_err());
        assert!(check_visitor_password("alllowercaseletters").is_err());
        assert!(check_visitor_password(&"Aa1!".repeat(33)).is_err());
    }

    proptest! {
        #[test]
        fn every_password_has_all_three_classes_and_only_alphabet_characters(length in 7usize..=128) {
            let password = generate_with_length(length);
            let text = password.expose_secret();
            prop_assert_eq!(text.len(), length);
            prop_assert!(has_every_class(text));
            prop_assert!(text.bytes().all(|b| ALPHABET.contains(&b)));
        }
    }
}
