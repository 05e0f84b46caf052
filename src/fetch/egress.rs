//! The egress policy: which addresses a fetch that a page caused may reach.
//!
//! The listing's `url` and `source` are the operator's word and are fetched as typed. Anything
//! else (item pages, older pages, every redirect) came from content, and must be http(s) on the
//! listing's own host, on a public address, or on what `[fetch] allow_internal` lists.
//! Loopback, private (RFC 1918), link-local, shared (CGNAT, RFC 6598), unique-local,
//! unspecified, multicast, documentation, benchmarking and reserved addresses are refused,
//! and so are IPv6 forms that embed them (IPv4-mapped, IPv4-compatible, NAT64, 6to4). A host
//! written as a number in any base is an address already (URLs normalise `2130706434`,
//! `0x7f.1`, `0177.0.0.1`). Names are checked where the connection is made: the resolver only
//! hands the connector addresses that pass, so DNS rebinding gains nothing.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

use crate::spec::AllowList;

/// The kind of address a content-derived fetch may not reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918: `10/8`, `172.16/12`, `192.168/16`.
    Private,
    /// `169.254/16`, `fe80::/10`.
    LinkLocal,
    /// RFC 6598 shared address space, `100.64/10` (carrier-grade NAT).
    Shared,
    /// `fc00::/7`.
    UniqueLocal,
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `224/4`, `ff00::/8`, `255.255.255.255`.
    Multicast,
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`.
    Documentation,
    /// `198.18/15`, `2001:2::/48`.
    Benchmarking,
    /// `240/4`, `192.0.0/24` and other special-purpose ranges.
    Reserved,
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Internal::Loopback => "loopback",
            Internal::Private => "private (RFC 1918)",
            Internal::LinkLocal => "link-local",
            Internal::Shared => "shared (carrier-grade NAT)",
            Internal::UniqueLocal => "unique-local",
            Internal::Unspecified => "unspecified",
            Internal::Multicast => "multicast or broadcast",
            Internal::Documentation => "documentation",
            Internal::Benchmarking => "benchmarking",
            Internal::Reserved => "reserved",
        })
    }
}

/// What kind of internal address `ip` is; `None` for a public one.
pub(super) fn classify(ip: IpAddr) -> Option<Internal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Internal> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_loopback() => Internal::Loopback,
        _ if ip.is_private() => Internal::Private,
        _ if ip.is_link_local() => Internal::LinkLocal,
        (100, 64..=127, _) => Internal::Shared,
        (0, _, _) => Internal::Unspecified,
        _ if ip.is_multicast() || ip.is_broadcast() => Internal::Multicast,
        _ if ip.is_documentation() => Internal::Documentation,
        (198, 18..=19, _) => Internal::Benchmarking,
        (192, 0, 0) | (240..=255, _, _) => Internal::Reserved,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<Internal> {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    Some(match segments[0] {
        _ if ip.is_loopback() => Internal::Loopback,
        _ if ip.is_unspecified() => Internal::Unspecified,
        0xfe80..=0xfebf => Internal::LinkLocal,
        0xfc00..=0xfdff => Internal::UniqueLocal,
        0xff00..=0xffff => Internal::Multicast,
        0x2001 if segments[1] == 0x0db8 => Internal::Documentation,
        0x2001 if segments[1] == 0x0002 && segments[2] == 0 => Internal::Benchmarking,
        // The rest of 2001::/23 (Teredo, ORCHIDs and other special purposes) and 100::/64
        // (discard-only).
        0x2001 if segments[1] < 0x0200 => Internal::Reserved,
        0x0100 if segments[1..4] == [0, 0, 0] => Internal::Reserved,
        _ => return None,
    })
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let ([a, b], [c, d]) = (hi.to_be_bytes(), lo.to_be_bytes());
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        // `::` and `::1` are IPv6's own.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

/// Whether `allow` lists `ip`, or the IPv4 address an IPv6 one stands for.
fn allowed(allow: &AllowList, ip: IpAddr) -> bool {
    allow.allows_ip(ip)
        || match ip {
            IpAddr::V6(v6) => embedded_v4(v6).is_some_and(|v4| allow.allows_ip(IpAddr::V4(v4))),
            IpAddr::V4(_) => false,
        }
}

/// Why a content-derived target is not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not http(s).
    #[error("only http(s) is fetched")]
    Scheme,
    /// Its host is an internal address.
    #[error("{ip} is a {kind} address")]
    Address {
        /// The address.
        ip: IpAddr,
        /// What kind of internal address.
        kind: Internal,
    },
    /// Its host name resolves only to internal addresses.
    #[error("{host} resolves to {ip}, a {kind} address")]
    Resolved {
        /// The name.
        host: String,
        /// The first address it resolved to.
        ip: IpAddr,
        /// What kind of internal address.
        kind: Internal,
    },
}

/// How a request may reach its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Route {
    /// Whatever the name resolves to: the operator typed it, it is the listing's own host, an
    /// allowed host, or an address already checked.
    Open,
    /// Only to the addresses the policy lets through, checked where the connection is made.
    Guarded,
}

/// The policy, as the fetcher applies it.
#[derive(Debug, Clone, Default)]
pub(super) struct Egress {
    allow: Arc<AllowList>,
}

impl Egress {
    pub(super) fn new(allow: AllowList) -> Self {
        Egress {
            allow: Arc::new(allow),
        }
    }

    /// How `url`, which content led to, may be fetched for a feed whose listing is on
    /// `own_hosts`; refused when it is not http(s) or is an internal address.
    pub(super) fn route(&self, url: &Url, own_hosts: &[String]) -> Result<Route, Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::Scheme);
        }
        let ip = match url.host() {
            None => return Err(Refusal::Scheme),
            Some(Host::Domain(name)) => {
                let own = own_hosts.iter().any(|h| h.eq_ignore_ascii_case(name));
                return Ok(if own || self.allow.allows_host(name) {
                    Route::Open
                } else {
                    Route::Guarded
                });
            }
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        let own = url
            .host_str()
            .is_some_and(|host| own_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)));
        match classify(ip) {
            Some(kind) if !own && !allowed(&self.allow, ip) => Err(Refusal::Address { ip, kind }),
            _ => Ok(Route::Open),
        }
    }

    /// Whether `[fetch] allow_internal` lets `ip` through.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub(super) fn allows(&self, ip: IpAddr) -> bool {
        allowed(&self.allow, ip)
    }

    /// The resolver of guarded requests.
    pub(super) fn resolver(&self) -> GuardedResolver {
        GuardedResolver {
            allow: Arc::clone(&self.allow),
        }
    }
}

/// Resolves names like the system does, then keeps only the addresses the policy lets
/// through; a name left with none fails with its [`Refusal`].
#[derive(Debug, Clone)]
pub(super) struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = Arc::clone(&self.allow);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut first_refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match classify(addr.ip()) {
                    Some(kind) if !allowed(&allow, addr.ip()) => {
                        first_refused.get_or_insert((addr.ip(), kind));
                        false
                    }
                    _ => true,
                })
                .collect();
            match (allowed.is_empty(), first_refused) {
                (true, Some((ip, kind))) => {
                    Err(Box::new(Refusal::Resolved { host, ip, kind }) as _)
                }
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The refusal behind a failed request, when the guarded resolver refused its host.
pub(super) fn refusal_of(err: &reqwest::Error) -> Option<Refusal> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = cause {
        if let Some(refusal) = error.downcast_ref::<Refusal>() {
            return Some(refusal.clone());
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(url: &str) -> Result<Route, Refusal> {
        let own = ["127.0.0.1".to_string(), "news.example.org".to_string()];
        Egress::default().route(&Url::parse(url).unwrap(), &own)
    }

    #[test]
    fn internal_addresses_are_refused_however_they_are_written() {
        for (url, kind) in [
            ("http://127.0.0.2/", Internal::Loopback),
            ("http://[::1]:8080/", Internal::Loopback),
            ("http://2130706434/", Internal::Loopback),
            ("http://0x7f.0.0.3/", Internal::Loopback),
            ("http://0177.0.0.2/", Internal::Loopback),
            ("http://[::ffff:127.0.0.2]/", Internal::Loopback),
            ("http://[::ffff:7f00:2]/", Internal::Loopback),
            ("http://[::127.0.0.2]/", Internal::Loopback),
            ("http://[64:ff9b::a00:1]/", Internal::Private),
            ("http://[2002:c0a8:1::]/", Internal::Private),
            ("http://10.1.2.3/", Internal::Private),
            ("http://172.16.0.1/", Internal::Private),
            ("https://192.168.1.1/", Internal::Private),
            (
                "http://169.254.169.254/latest/meta-data/",
                Internal::LinkLocal,
            ),
            ("http://[fe80::1]/", Internal::LinkLocal),
            ("http://100.64.0.1/", Internal::Shared),
            ("http://[fd00::1]/", Internal::UniqueLocal),
            ("http://0.0.0.0/", Internal::Unspecified),
            ("http://[::]/", Internal::Unspecified),
            ("http://224.0.0.1/", Internal::Multicast),
            ("http://255.255.255.255/", Internal::Multicast),
            ("http://192.0.2.1/", Internal::Documentation),
            ("http://[2001:db8::1]/", Internal::Documentation),
            ("http://198.18.0.1/", Internal::Benchmarking),
            ("http://240.0.0.1/", Internal::Reserved),
        ] {
            match route(url) {
                Err(Refusal::Address { kind: got, .. }) => assert_eq!(got, kind, "{url}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn public_own_and_allowed_targets_pass() {
        assert_eq!(route("http://93.184.215.14/"), Ok(Route::Open));
        assert_eq!(route("http://[2606:4700::1111]/"), Ok(Route::Open));
        assert_eq!(route("http://127.0.0.1:9000/item"), Ok(Route::Open));
        assert_eq!(route("https://News.Example.org/a"), Ok(Route::Open));
        assert_eq!(route("https://cdn.example.org/a"), Ok(Route::Guarded));
        assert_eq!(route("ftp://example.org/a"), Err(Refusal::Scheme));
        let egress = Egress::new(AllowList {
            hosts: vec!["intranet.example".into()],
            nets: vec!["127.0.0.0/8".parse().unwrap()],
        });
        let url = |u: &str| Url::parse(u).unwrap();
        assert_eq!(
            egress.route(&url("http://127.0.0.2/"), &[]),
            Ok(Route::Open)
        );
        assert_eq!(
            egress.route(&url("http://INTRANET.example/x"), &[]),
            Ok(Route::Open)
        );
        assert!(egress.route(&url("http://10.0.0.1/"), &[]).is_err());
    }

    #[tokio::test]
    async fn names_that_resolve_to_internal_addresses_are_refused_when_resolved() {
        use reqwest::dns::Resolve as _;
        let resolver = Egress::default().resolver();
        let refused = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        let refusal = refused.downcast_ref::<Refusal>().expect("a refusal");
        assert!(
            matches!(
                refusal,
                Refusal::Resolved {
                    kind: Internal::Loopback,
                    ..
                }
            ),
            "{refusal:?}"
        );
    }
}
