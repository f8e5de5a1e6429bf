//! What real StackScripts mean by their fields, beyond Linode's UDF rules.
//!
//! Almost every Linode Marketplace StackScript creates a sudo user from a
//! `user_name` field and can turn root's SSH login off with `disable_root`;
//! many ask for an email address for Let's Encrypt or a DNS zone's SOA record.
//! Their labels use Markdown-ish emphasis (`*All lowercase*`) that a form
//! shows as plain text. Email syntax is checked with the `email_address`
//! crate (RFC 5322), plus a dotted domain, which certificates and SOA records need.

use std::str::FromStr;

use email_address::EmailAddress;

/// The UDF that names the sudo user Marketplace-style scripts create.
pub const USER_NAME: &str = "user_name";
/// The UDF that turns root and password logins over SSH off when `Yes`.
pub const DISABLE_ROOT: &str = "disable_root";

/// How a visitor signs in to a server a Marketplace-style script set up:
/// as the sudo user it created, with root's SSH login perhaps turned off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SshLogin {
    /// The sudo user (`user_name`).
    pub user: String,
    /// Whether `disable_root` is `Yes`: root and password logins over SSH are off.
    pub root_off: bool,
}

impl SshLogin {
    /// The login for the values sent: `None` unless the script asked for a
    /// `user_name`; `disable_root` is its value, else its default.
    pub fn from_values(
        user_name: Option<&str>,
        disable_root: Option<&str>,
        disable_root_default: Option<&str>,
    ) -> Option<Self> {
        let user = user_name.filter(|u| !u.is_empty())?.to_owned();
        let root_off = disable_root.or(disable_root_default).is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        Some(Self { user, root_off })
    }
}

/// Names Debian and Ubuntu already give to system accounts and groups; a
/// sudo user with one of them fails to be created or takes over a service.
const RESERVED_USER_NAMES: &[&str] = &[
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "nobody",
    "nogroup",
    "messagebus",
    "sshd",
    "syslog",
    "uuidd",
    "tcpdump",
    "tss",
    "landscape",
    "pollinate",
    "lxd",
    "dnsmasq",
    "polkitd",
    "ubuntu",
    "debian",
    "admin",
    "adm",
    "tty",
    "disk",
    "kmem",
    "dialout",
    "fax",
    "voice",
    "cdrom",
    "floppy",
    "tape",
    "sudo",
    "audio",
    "dip",
    "operator",
    "src",
    "shadow",
    "utmp",
    "video",
    "sasl",
    "plugdev",
    "staff",
    "users",
    "input",
    "sgx",
    "kvm",
    "render",
    "netdev",
    "crontab",
    "ssh",
    "mysql",
    "postgres",
    "redis",
    "nginx",
    "apache",
    "ftp",
    "postfix",
    "dovecot",
    "bind",
    "named",
    "ntp",
    "chrony",
    "docker",
    "systemd",
];

/// How a free-text field's value is checked, from what its name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Any text.
    Any,
    /// A Linux user name for a new account.
    UserName,
    /// An email address.
    Email,
}

impl Rule {
    /// The rule for a UDF called `name`.
    pub fn for_name(name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        if name == USER_NAME {
            Self::UserName
        } else if name.ends_with("email") || name.ends_with("email_address") {
            Self::Email
        } else {
            Self::Any
        }
    }

    /// Checks a non-empty value.
    pub fn check(self, value: &str) -> Result<(), &'static str> {
        match self {
            Self::Any => Ok(()),
            Self::UserName => check_user_name(value),
            Self::Email => check_email(value),
        }
    }
}

const USER_NAME_RULE: &str =
    "Use a lowercase letter, then up to 31 lowercase letters, digits, - or _ (such as alex or web_admin).";

/// Checks a user name for a new Linux account.
pub fn check_user_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !(starts_well && rest_ok && name.len() <= 32) {
        return Err(USER_NAME_RULE);
    }
    if RESERVED_USER_NAMES.contains(&name) || name.starts_with("systemd-") || name.starts_with('_') {
        return Err("The system already uses this name; choose another, such as your own first name.");
    }
    Ok(())
}

/// Checks an email address.
pub fn check_email(address: &str) -> Result<(), &'static str> {
    const RULE: &str = "Enter an email address such as you@example.com.";
    let parsed = EmailAddress::from_str(address.trim()).map_err(|_| RULE)?;
    let domain = parsed.domain();
    let dotted = domain.contains('.') && !domain.starts_with('[') && !domain.ends_with('.');
    if dotted { Ok(()) } else { Err(RULE) }
}

/// A label as plain text: Markdown-ish `*emphasis*`, `**strong**` and
/// `` `code` `` markers dropped, spaces collapsed. Underscores stay: they
/// are far more often part of a name (`db_root_password`) than emphasis.
pub fn plain_label(label: &str) -> String {
    label.replace(['*', '`'], "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An example as a hint: a leading `Example:` is dropped, since the form
/// already says "Example:".
pub fn plain_example(example: &str) -> String {
    let trimmed = example.trim();
    let lower = trimmed.to_ascii_lowercase();
    let rest = if lower.starts_with("example:") { trimmed["example:".len()..].trim_start() } else { trimmed };
    plain_label(rest)
}

/// Whether the app may offer to generate a value for a masked field: not
/// for API tokens or client secrets, which come from somewhere else.
pub fn can_generate(name: &str, label: &str) -> bool {
    let said = format!("{name} {label}").to_ascii_lowercase();
    !["token", "secret", "api key", "api_key", "license"].iter().any(|w| said.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_follow_debian_rules_and_avoid_system_names() {
        for ok in ["alex", "web_admin", "a", "deploy-2", &"a".repeat(32)] {
            assert_eq!(check_user_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "Alex", "2fa", "-x", "al ex", "alex!", "élan", &"a".repeat(33)] {
            assert_eq!(check_user_name(bad), Err(USER_NAME_RULE), "{bad}");
        }
        for taken in ["root", "daemon", "www-data", "nobody", "sshd", "ubuntu", "systemd-network"] {
            assert!(check_user_name(taken).unwrap_err().contains("already uses"), "{taken}");
        }
    }

    #[test]
    fn email_addresses_need_a_local_part_and_a_dotted_domain() {
        for ok in ["you@example.com", "a.b+c@mail.example.co.uk", " admin@example.org "] {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
        for bad in ["you", "you@", "@example.com", "you@localhost", "you@@example.com", "you @example.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_come_from_field_names() {
        assert_eq!(Rule::for_name("user_name"), Rule::UserName);
        for email in ["soa_email_address", "owner_email", "email_address", "jaeger_admin_email"] {
            assert_eq!(Rule::for_name(email), Rule::Email, "{email}");
        }
        for other in ["email_notifications_enabled", "site_name", "username_label"] {
            assert_eq!(Rule::for_name(other), Rule::Any, "{other}");
        }
    }

    #[test]
    fn markdownish_labels_read_as_plain_text() {
        assert_eq!(
            plain_label(
                "The limited sudo user to be created for the Linode: *No Capital Letters or Special Characters*"
            ),
            "The limited sudo user to be created for the Linode: No Capital Letters or Special Characters"
        );
        assert_eq!(plain_label("Run `certbot` **now**."), "Run certbot now.");
        assert_eq!(plain_label("The *All lowercase*, name"), "The All lowercase, name");
        assert_eq!(plain_label("Set db_root_password here"), "Set db_root_password here");
        assert_eq!(plain_label("Disable root access over SSH?"), "Disable root access over SSH?");
    }

    #[test]
    fn examples_lose_a_leading_example_word() {
        assert_eq!(plain_example("Example: user@domain.tld"), "user@domain.tld");
        assert_eq!(
            plain_example("user@domain.tld (Requires API token)"),
            "user@domain.tld (Requires API token)"
        );
    }

    #[test]
    fn a_sudo_user_is_the_login_and_disable_root_falls_back_to_its_default() {
        let login = |u, d, default| SshLogin::from_values(u, d, default);
        assert_eq!(login(None, Some("Yes"), None), None, "no user_name, no sudo login");
        assert_eq!(login(Some(""), None, None), None);
        assert_eq!(
            login(Some("alex"), None, Some("No")),
            Some(SshLogin { user: "alex".into(), root_off: false })
        );
        assert_eq!(
            login(Some("alex"), None, Some("Yes")),
            Some(SshLogin { user: "alex".into(), root_off: true })
        );
        assert_eq!(login(Some("alex"), Some("Yes"), Some("No")).map(|l| l.root_off), Some(true));
        assert_eq!(login(Some("alex"), Some("No"), Some("Yes")).map(|l| l.root_off), Some(false));
    }

    #[test]
    fn tokens_and_client_secrets_are_not_generated() {
        assert!(can_generate("db_password", "Database password"));
        assert!(!can_generate("token_password", "Your Linode API token"));
        assert!(!can_generate("jwt_password", "Akamai JWT token"));
        assert!(!can_generate("client_secret_password", "Akamai Client Secret"));
    }
}
