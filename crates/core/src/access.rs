//! Share links ("accesses"): their record, the validation and normalisation of what a client
//! writes, and the one decision point that allows a download or names the refusal.

use crate::model::{AccessId, File, FileId};
use crate::timestamp::Timestamp;
use ipnet::IpNet;
use std::net::IpAddr;

/// A share link with its restrictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub id: AccessId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub file_id: FileId,
    pub token: String,
    pub rules: AccessRules,
    /// A one-time link that has served its download.
    pub used: bool,
}

/// What a client sets on a link (create and update replace all of it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessRules {
    pub name: String,
    /// Normalised networks; a bare address is a one-host network.
    pub subnets: Vec<IpNet>,
    /// Normalised addresses (IPv6 compressed lower-case, IPv4-mapped as IPv4).
    pub ips: Vec<IpAddr>,
    /// `None`: never expires.
    pub expires: Option<Timestamp>,
    pub public: bool,
    pub one_time_use: bool,
    /// Downloads still allowed while `enable_ttl`.
    pub ttl: i64,
    pub enable_ttl: bool,
}

/// The rules as a client sends them, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawRules {
    pub name: String,
    pub subnets: Vec<String>,
    pub ips: Vec<String>,
    pub expires: String,
    pub public: bool,
    pub one_time_use: bool,
    pub ttl: i64,
    pub enable_ttl: bool,
}

/// Why written rules are refused; the message names the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("Invalid subnet: {0}")]
    Subnet(String),
    #[error("Invalid IP address: {0}")]
    Ip(String),
    #[error("Invalid expires: {0}")]
    Expires(String),
    #[error("ttl must be at least 1 when enableTTL is true")]
    Ttl,
}

impl RawRules {
    /// Validates and normalises: blank list entries are dropped, addresses and networks are
    /// put in canonical form, `expires` is RFC 3339 with an offset (`""` = never).
    pub fn validate(self) -> Result<AccessRules, RulesError> {
        let subnets = self
            .subnets
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| parse_subnet(s).ok_or_else(|| RulesError::Subnet(s.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        let ips = self
            .ips
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpAddr>()
                    .map(|ip| ip.to_canonical())
                    .map_err(|_| RulesError::Ip(s.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expires_text = self.expires.trim();
        let expires = if expires_text.is_empty() {
            None
        } else {
            Some(
                Timestamp::parse_rfc3339(expires_text)
                    .ok_or_else(|| RulesError::Expires(self.expires.clone()))?,
            )
        };
        if self.enable_ttl && self.ttl < 1 {
            return Err(RulesError::Ttl);
        }
        Ok(AccessRules {
            name: self.name,
            subnets: dedup(subnets),
            ips: dedup(ips),
            expires,
            public: self.public,
            one_time_use: self.one_time_use,
            ttl: self.ttl,
            enable_ttl: self.enable_ttl,
        })
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A CIDR (`10.0.0.0/8`, host bits cleared) or a bare address (one host); IPv4-mapped IPv6
/// networks become IPv4 ones.
fn parse_subnet(text: &str) -> Option<IpNet> {
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => IpNet::from(text.parse::<IpAddr>().ok()?),
    };
    let net = match net {
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).ok()?
            }
            _ => net,
        },
        IpNet::V4(_) => net,
    };
    Some(net.trunc())
}

/// A new link token: 128 bits from a CSPRNG as 32 lowercase hex characters.
pub fn new_link_token() -> String {
    crate::random::hex_128()
}

/// Why a link download is refused (SPEC section 5, in the order the checks run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Access link not found")]
    NoSuchLink,
    #[error("File not found")]
    FileDeleted,
    #[error("Access denied: file or access is not public")]
    NotPublic,
    #[error("Access restricted to specific IPs")]
    IpRestricted,
    #[error("Access restricted to specific subnets")]
    SubnetRestricted,
    #[error("Access link has expired")]
    Expired,
    #[error("Access link has already been used")]
    AlreadyUsed,
    #[error("Access link has reached its TTL limit")]
    TtlReached,
}

impl Refusal {
    /// 404 for a missing link or file, 403 otherwise.
    pub fn is_not_found(self) -> bool {
        matches!(self, Self::NoSuchLink | Self::FileDeleted)
    }

    /// A short label for metrics and logs.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoSuchLink => "no_such_link",
            Self::FileDeleted => "file_deleted",
            Self::NotPublic => "not_public",
            Self::IpRestricted => "ip_restricted",
            Self::SubnetRestricted => "subnet_restricted",
            Self::Expired => "expired",
            Self::AlreadyUsed => "already_used",
            Self::TtlReached => "ttl_reached",
        }
    }
}

/// Whether an allowed download must consume a use (and so go through the conditional update).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// An unlimited link: nothing to consume.
    Freely,
    /// One-time or TTL-limited: consume one use atomically before sending.
    Consuming,
}

/// The one decision point for link downloads: the access (if the token names a live one),
/// its file (if live), the client's address and the time → allowed, or the first refusal.
pub fn decide(
    access: Option<&Access>,
    file: Option<&File>,
    client: IpAddr,
    now: Timestamp,
) -> Result<Allowed, Refusal> {
    let access = access.ok_or(Refusal::NoSuchLink)?;
    let file = file.ok_or(Refusal::FileDeleted)?;
    let rules = &access.rules;
    if !file.public || !rules.public {
        return Err(Refusal::NotPublic);
    }
    if !rules.ips.is_empty() || !rules.subnets.is_empty() {
        let client = client.to_canonical();
        let allowed =
            rules.ips.contains(&client) || rules.subnets.iter().any(|net| net.contains(&client));
        if !allowed {
            return Err(if rules.ips.is_empty() {
                Refusal::SubnetRestricted
            } else {
                Refusal::IpRestricted
            });
        }
    }
    if rules.expires.is_some_and(|expires| now > expires) {
        return Err(Refusal::Expired);
    }
    if rules.one_time_use && access.used {
        return Err(Refusal::AlreadyUsed);
    }
    if rules.enable_ttl && rules.ttl <= 0 {
        return Err(Refusal::TtlReached);
    }
    Ok(if rules.one_time_use || rules.enable_ttl {
        Allowed::Consuming
    } else {
        Allowed::Freely
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn file(public: bool) -> File {
        File {
            id: 1,
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
            user_id: 1,
            name: "a.txt".into(),
            extension: "txt".into(),
            size: 1,
            hash: String::new(),
            public,
            storage_key: String::new(),
        }
    }

    fn open_link() -> Access {
        Access {
            id: 1,
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
            file_id: 1,
            token: "t".into(),
            used: false,
            rules: AccessRules {
                public: true,
                ..AccessRules::default()
            },
        }
    }

    fn with(change: impl Fn(&mut Access)) -> Access {
        let mut access = open_link();
        change(&mut access);
        access
    }

    const NOW: i64 = 1_000_000_000;
    const CLIENT: &str = "203.0.113.5";

    fn check(access: Option<&Access>, file: Option<&File>) -> Result<Allowed, Refusal> {
        decide(access, file, ip(CLIENT), Timestamp::from_micros(NOW))
    }

    #[test]
    fn every_refusal() {
        let public = file(true);
        let table: Vec<(Option<Access>, Option<File>, Refusal)> = vec![
            (None, Some(public.clone()), Refusal::NoSuchLink),
            (Some(open_link()), None, Refusal::FileDeleted),
            (Some(open_link()), Some(file(false)), Refusal::NotPublic),
            (
                Some(with(|a| a.rules.public = false)),
                Some(public.clone()),
                Refusal::NotPublic,
            ),
            (
                Some(with(|a| a.rules.ips = vec![ip("198.51.100.1")])),
                Some(public.clone()),
                Refusal::IpRestricted,
            ),
            (
                Some(with(|a| {
                    a.rules.subnets = vec!["10.0.0.0/8".parse().unwrap()]
                })),
                Some(public.clone()),
                Refusal::SubnetRestricted,
            ),
            (
                Some(with(|a| {
                    a.rules.expires = Some(Timestamp::from_micros(NOW - 1))
                })),
                Some(public.clone()),
                Refusal::Expired,
            ),
            (
                Some(with(|a| {
                    a.rules.one_time_use = true;
                    a.used = true;
                })),
                Some(public.clone()),
                Refusal::AlreadyUsed,
            ),
            (
                Some(with(|a| {
                    a.rules.enable_ttl = true;
                    a.rules.ttl = 0;
                })),
                Some(public.clone()),
                Refusal::TtlReached,
            ),
        ];
        for (access, file, want) in table {
            assert_eq!(
                check(access.as_ref(), file.as_ref()),
                Err(want),
                "{access:?} {file:?}"
            );
        }
    }

    #[test]
    fn order_of_the_checks() {
        // Everything wrong at once: the first check in SPEC order answers.
        let worst = with(|a| {
            a.rules.public = false;
            a.rules.ips = vec![ip("198.51.100.1")];
            a.rules.expires = Some(Timestamp::from_micros(0));
            a.rules.one_time_use = true;
            a.used = true;
            a.rules.enable_ttl = true;
            a.rules.ttl = 0;
        });
        assert_eq!(check(None, None), Err(Refusal::NoSuchLink));
        assert_eq!(check(Some(&worst), None), Err(Refusal::FileDeleted));
        assert_eq!(
            check(Some(&worst), Some(&file(true))),
            Err(Refusal::NotPublic)
        );
        let mut next = worst.clone();
        next.rules.public = true;
        assert_eq!(
            check(Some(&next), Some(&file(true))),
            Err(Refusal::IpRestricted)
        );
        next.rules.ips = vec![ip(CLIENT)];
        assert_eq!(check(Some(&next), Some(&file(true))), Err(Refusal::Expired));
        next.rules.expires = None;
        assert_eq!(
            check(Some(&next), Some(&file(true))),
            Err(Refusal::AlreadyUsed)
        );
        next.used = false;
        assert_eq!(
            check(Some(&next), Some(&file(true))),
            Err(Refusal::TtlReached)
        );
        next.rules.ttl = 1;
        assert_eq!(
            check(Some(&next), Some(&file(true))),
            Ok(Allowed::Consuming)
        );
    }

    #[test]
    fn allow_lists() {
        let public = file(true);
        let both_lists = with(|a| {
            a.rules.ips = vec![ip("198.51.100.1")];
            a.rules.subnets = vec!["203.0.113.0/24".parse().unwrap()];
        });
        // Either list may match.
        assert_eq!(check(Some(&both_lists), Some(&public)), Ok(Allowed::Freely));
        let ips_only = with(|a| a.rules.ips = vec![ip(CLIENT)]);
        assert_eq!(check(Some(&ips_only), Some(&public)), Ok(Allowed::Freely));
        // With IPs set, a miss names IPs even when subnets are set too.
        let miss = with(|a| {
            a.rules.ips = vec![ip("198.51.100.1")];
            a.rules.subnets = vec!["10.0.0.0/8".parse().unwrap()];
        });
        assert_eq!(
            check(Some(&miss), Some(&public)),
            Err(Refusal::IpRestricted)
        );
        // An IPv4-mapped client matches an IPv4 rule.
        let mapped = decide(
            Some(&ips_only),
            Some(&public),
            ip("::ffff:203.0.113.5"),
            Timestamp::from_micros(NOW),
        );
        assert_eq!(mapped, Ok(Allowed::Freely));
    }

    #[test]
    fn expiry_is_inclusive_and_consumption_kinds() {
        let public = file(true);
        let at_expiry = with(|a| a.rules.expires = Some(Timestamp::from_micros(NOW)));
        assert_eq!(check(Some(&at_expiry), Some(&public)), Ok(Allowed::Freely));
        let one_time = with(|a| a.rules.one_time_use = true);
        assert_eq!(
            check(Some(&one_time), Some(&public)),
            Ok(Allowed::Consuming)
        );
        let ttl = with(|a| {
            a.rules.enable_ttl = true;
            a.rules.ttl = 3;
        });
        assert_eq!(check(Some(&ttl), Some(&public)), Ok(Allowed::Consuming));
        // A TTL count without enableTTL limits nothing.
        let ignored_ttl = with(|a| a.rules.ttl = 0);
        assert_eq!(
            check(Some(&ignored_ttl), Some(&public)),
            Ok(Allowed::Freely)
        );
    }

    fn raw() -> RawRules {
        RawRules::default()
    }

    #[test]
    fn validation_normalises() {
        let rules = RawRules {
            subnets: vec![
                "10.1.2.3/8".into(),
                "".into(),
                " 192.0.2.7 ".into(),
                "::ffff:10.0.0.0/104".into(),
                "2001:DB8::/32".into(),
            ],
            ips: vec![
                "2001:0DB8:0000::1".into(),
                "::ffff:198.51.100.4".into(),
                "  ".into(),
                "198.51.100.4".into(),
            ],
            expires: "2027-01-01T01:00:00.5+01:00".into(),
            ..raw()
        }
        .validate()
        .unwrap();
        let subnets: Vec<String> = rules.subnets.iter().map(ToString::to_string).collect();
        assert_eq!(subnets, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
        let ips: Vec<String> = rules.ips.iter().map(ToString::to_string).collect();
        assert_eq!(ips, ["2001:db8::1", "198.51.100.4"]);
        assert_eq!(
            rules.expires.unwrap().to_string(),
            "2027-01-01T00:00:00.500000Z"
        );
        assert_eq!(
            RawRules {
                expires: "".into(),
                ..raw()
            }
            .validate()
            .unwrap()
            .expires,
            None
        );
    }

    #[test]
    fn validation_refusals_name_the_value() {
        let err = |r: RawRules| r.validate().unwrap_err().to_string();
        assert_eq!(
            err(RawRules {
                subnets: vec!["10.0.0.0/33".into()],
                ..raw()
            }),
            "Invalid subnet: 10.0.0.0/33"
        );
        assert_eq!(
            err(RawRules {
                subnets: vec!["banana".into()],
                ..raw()
            }),
            "Invalid subnet: banana"
        );
        assert_eq!(
            err(RawRules {
                ips: vec!["10.0.0.256".into()],
                ..raw()
            }),
            "Invalid IP address: 10.0.0.256"
        );
        assert_eq!(
            err(RawRules {
                ips: vec!["10.0.0.0/8".into()],
                ..raw()
            }),
            "Invalid IP address: 10.0.0.0/8"
        );
        assert_eq!(
            err(RawRules {
                expires: "2027-01-01".into(),
                ..raw()
            }),
            "Invalid expires: 2027-01-01"
        );
        assert_eq!(
            err(RawRules {
                expires: "2027-01-01T00:00:00".into(),
                ..raw()
            }),
            "Invalid expires: 2027-01-01T00:00:00"
        );
        assert_eq!(
            err(RawRules {
                enable_ttl: true,
                ttl: 0,
                ..raw()
            }),
            "ttl must be at least 1 when enableTTL is true"
        );
        assert!(
            RawRules {
                enable_ttl: false,
                ttl: 0,
                ..raw()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn tokens_are_32_lowercase_hex() {
        let token = new_link_token();
        assert_eq!(token.len(), 32);
        assert!(
            token
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_ne!(token, new_link_token());
    }
}
