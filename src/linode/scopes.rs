//! OAuth scopes as Linode's login server speaks them: `family:level`,
//! `family:*` or `*`, joined with commas (and, in some answers, spaces).
//!
//! The original example compared the granted string to the one it asked for,
//! and so refused a grant of `linodes:*` or `*`. Here a grant is a set, and
//! [`OAuthScopes::allows`] answers whether it covers what is needed.

use std::fmt;
use std::str::FromStr;

/// Every scope family the login server knows.
pub const FAMILIES: [&str; 19] = [
    "account",
    "clients",
    "databases",
    "domains",
    "events",
    "firewall",
    "images",
    "ips",
    "linodes",
    "lke",
    "longview",
    "nodebalancers",
    "object_storage",
    "stackscripts",
    "tickets",
    "tokens",
    "users",
    "volumes",
    "vpc",
];

/// How much of a family a scope grants; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// `read_only`
    ReadOnly,
    /// `read_write`
    ReadWrite,
    /// `*`: everything the family has.
    All,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "read_only",
            Self::ReadWrite => "read_write",
            Self::All => "*",
        }
    }
}

/// One granted or requested scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `*`: every family at every level.
    Everything,
    /// One family at one level, such as `linodes:read_write`.
    Family(&'static str, Access),
}

impl Scope {
    /// `linodes:read_write`, the one scope a deploy needs.
    pub const LINODES_READ_WRITE: Scope = Scope::Family("linodes", Access::ReadWrite);

    /// Whether this scope covers `needed`.
    pub fn covers(self, needed: Scope) -> bool {
        match (self, needed) {
            (Scope::Everything, _) => true,
            (Scope::Family(..), Scope::Everything) => false,
            (Scope::Family(have, level), Scope::Family(want, wanted)) => have == want && level >= wanted,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Everything => f.write_str("*"),
            Scope::Family(family, access) => write!(f, "{family}:{}", access.as_str()),
        }
    }
}

/// A scope string that is not one Linode knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OAuth scope {0:?}")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownScope(s.to_owned());
        if s == "*" {
            return Ok(Scope::Everything);
        }
        let (family, level) = s.split_once(':').ok_or_else(unknown)?;
        let family = FAMILIES.iter().copied().find(|f| *f == family).ok_or_else(unknown)?;
        let access = match level {
            "read_only" => Access::ReadOnly,
            "read_write" => Access::ReadWrite,
            "*" => Access::All,
            _ => return Err(unknown()),
        };
        Ok(Scope::Family(family, access))
    }
}

/// A set of scopes, as requested in the authorize URL or granted with a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthScopes(Vec<Scope>);

impl OAuthScopes {
    /// The scopes a deploy asks for: `linodes:read_write` and nothing more.
    pub fn deploy() -> Self {
        Self(vec![Scope::LINODES_READ_WRITE])
    }

    /// Builds a set from scopes, dropping repeats.
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let mut set = Self::default();
        for scope in scopes {
            if !set.0.contains(&scope) {
                set.0.push(scope);
            }
        }
        set
    }

    /// Parses a grant, split on commas and white space. Scopes this program
    /// does not know are ignored rather than failing the whole grant.
    pub fn parse_lenient(s: &str) -> Self {
        Self::new(
            s.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|part| !part.is_empty())
                .filter_map(|part| part.parse().ok()),
        )
    }

    /// Whether any scope in the set covers `needed`.
    pub fn allows(&self, needed: Scope) -> bool {
        self.0.iter().any(|have| have.covers(needed))
    }

    /// Whether the set allows creating Linodes.
    pub fn allows_creating_linodes(&self) -> bool {
        self.allows(Scope::LINODES_READ_WRITE)
    }

    /// The scopes in the set.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
}

impl FromStr for OAuthScopes {
    type Err = UnknownScope;

    /// Parses strictly: every part must be a known scope.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let scopes = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Scope>, _>>()?;
        Ok(Self::new(scopes))
    }
}

impl fmt::Display for OAuthScopes {
    /// Comma-joined, the form the authorize URL takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{scope}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_deploy_asks_for_linodes_read_write_only() {
        assert_eq!(OAuthScopes::deploy().to_string(), "linodes:read_write");
    }

    #[test]
    fn linodes_read_write_family_wildcard_and_everything_allow_creating() {
        for grant in ["linodes:read_write", "linodes:*", "*", "account:read_only,linodes:*"] {
            assert!(OAuthScopes::parse_lenient(grant).allows_creating_linodes(), "{grant}");
        }
    }

    #[test]
    fn read_only_other_families_and_nothing_do_not_allow_creating() {
        for grant in ["linodes:read_only", "volumes:read_write", "", "domains:*", "linodes"] {
            assert!(!OAuthScopes::parse_lenient(grant).allows_creating_linodes(), "{grant}");
        }
    }

    #[test]
    fn grants_split_on_commas_and_spaces() {
        let grant = OAuthScopes::parse_lenient("account:read_only linodes:read_write,events:*");
        assert_eq!(grant.to_string(), "account:read_only,linodes:read_write,events:*");
    }

    #[test]
    fn strict_parsing_rejects_an_unknown_family_or_level() {
        assert!("linodes:write".parse::<OAuthScopes>().is_err());
        assert!("dns:read_only".parse::<OAuthScopes>().is_err());
        assert!("linodes:read_only,*".parse::<OAuthScopes>().is_ok());
    }

    #[test]
    fn a_family_scope_never_covers_everything() {
        assert!(!Scope::Family("linodes", Access::All).covers(Scope::Everything));
    }

    fn any_scope() -> impl Strategy<Value = Scope> {
        let level = prop_oneof![Just(Access::ReadOnly), Just(Access::ReadWrite), Just(Access::All)];
        prop_oneof![
            Just(Scope::Everything),
            (prop::sample::select(FAMILIES.to_vec()), level).prop_map(|(f, a)| Scope::Family(f, a)),
        ]
    }

    proptest! {
        #[test]
        fn serializing_then_parsing_gives_the_same_set(scopes in prop::collection::vec(any_scope(), 0..8)) {
            let set = OAuthScopes::new(scopes);
            prop_assert_eq!(set.to_string().parse::<OAuthScopes>().unwrap(), set);
        }

        #[test]
        fn a_scope_covers_itself_and_everything_covers_it(scope in any_scope()) {
            prop_assert!(scope.covers(scope));
            prop_assert!(Scope::Everything.covers(scope));
        }

        #[test]
        fn a_higher_level_covers_every_lower_one(family in prop::sample::select(FAMILIES.to_vec())) {
            let all = Scope::Family(family, Access::All);
            let rw = Scope::Family(family, Access::ReadWrite);
            let ro = Scope::Family(family, Access::ReadOnly);
            prop_assert!(all.covers(rw) && all.covers(ro) && rw.covers(ro));
            prop_assert!(!ro.covers(rw) && !rw.covers(all));
        }
    }
}
