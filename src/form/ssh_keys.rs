//! SSH public keys the visitor pastes, one per line, checked with the
//! RustCrypto `ssh-key` crate (algorithm and encoding, as OpenSSH reads them).

use ssh_key::PublicKey;

/// At most this many keys per deploy.
pub const MAX_KEYS: usize = 16;

/// Parses a block of keys, one per line; blank lines are skipped.
/// On error, says which line is wrong.
pub fn parse(block: &str) -> Result<Vec<String>, String> {
    let keys: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if keys.len() > MAX_KEYS {
        return Err(format!("Give at most {MAX_KEYS} keys."));
    }
    keys.iter()
        .enumerate()
        .map(|(i, line)| {
            PublicKey::from_openssh(line).map(|_| (*line).to_owned()).map_err(|_| {
                format!("Line {} is not an SSH public key (such as ssh-ed25519 AAAA… you@host).", i + 1)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti user@example.com";

    #[test]
    fn a_real_key_passes_and_blank_lines_are_skipped() {
        assert_eq!(parse(&format!("\n{ED25519}\n\n")).unwrap(), vec![ED25519.to_owned()]);
        assert_eq!(parse("  ").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn at_most_16_keys_are_taken() {
        assert_eq!(parse(&[ED25519; 16].join("\n")).unwrap().len(), 16);
        assert_eq!(parse(&[ED25519; 17].join("\n")).unwrap_err(), "Give at most 16 keys.");
    }

    #[test]
    fn a_broken_key_names_its_line() {
        let err = parse(&format!("{ED25519}\nssh-ed25519 AAAAnot-base64")).unwrap_err();
        assert!(err.starts_with("Line 2"), "{err}");
        assert!(parse("ssh-dss AAAAB3NzaC1kc3M=").is_err());
        assert!(parse("-----BEGIN OPENSSH PRIVATE KEY-----").is_err());
    }
}
