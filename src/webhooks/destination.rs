//! Where deliveries may go (SPEC 11 "Safety"): addresses are checked after DNS resolution, by a
//! resolver the HTTP client uses, so a name cannot resolve to one address when checked and to
//! another when connected.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The error text of a refused destination.
pub const REFUSED: &str = "destination not allowed";

/// Whether `ip` may not be called: link-local and cloud metadata addresses always; loopback,
/// private, shared and unspecified ranges too when `block_private`.
pub fn refused(ip: IpAddr, block_private: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4, block_private),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4, block_private),
            None => refused_v6(v6, block_private),
        },
    }
}

fn refused_v4(ip: Ipv4Addr, block_private: bool) -> bool {
    if ip.is_link_local() {
        return true; // 169.254.0.0/16, including 169.254.169.254 (metadata)
    }
    let [a, b, ..] = ip.octets();
    block_private
        && (ip.is_loopback()
            || ip.is_private()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || (a == 100 && (64..128).contains(&b)))
}

fn refused_v6(ip: Ipv6Addr, block_private: bool) -> bool {
    let first = ip.segments()[0];
    let link_local = first & 0xffc0 == 0xfe80;
    let metadata = ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    if link_local || metadata {
        return true;
    }
    block_private && (ip.is_loopback() || ip.is_unspecified() || first & 0xfe00 == 0xfc00)
}

/// The error a refused resolution carries (found again in the request error's source chain).
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REFUSED)
    }
}

impl std::error::Error for Refused {}

/// A resolver that drops refused addresses, and fails when none is left.
pub struct Guarded {
    pub block_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let block_private = self.block_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|a| !refused(a.ip(), block_private)).collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The literal address of a URL's host, if it is one (`[::1]` included).
pub fn literal_host(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// A short, URL-free description of a failed request.
pub(super) fn describe(e: &reqwest::Error, timeout: std::time::Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<Refused>() {
            return REFUSED.into();
        }
        source = s.source();
    }
    if e.is_timeout() {
        return format!("timed out after {} s", timeout.as_secs());
    }
    if e.is_connect() {
        return "connection failed".into();
    }
    if e.is_body() || e.is_decode() {
        return "connection closed while reading the response".into();
    }
    let mut text = "request failed".to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("request failed: {s}");
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn link_local_and_metadata_are_always_refused() {
        for a in [
            "169.254.169.254",
            "169.254.0.1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ] {
            assert!(refused(ip(a), false), "{a}");
        }
        for a in [
            "127.0.0.1",
            "10.0.0.1",
            "192.168.1.1",
            "93.184.216.34",
            "::1",
        ] {
            assert!(!refused(ip(a), false), "{a}");
        }
    }

    #[test]
    fn private_ranges_are_refused_when_asked() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fd12::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(refused(ip(a), true), "{a}");
        }
        for a in ["93.184.216.34", "2606:4700::1111", "172.32.0.1"] {
            assert!(!refused(ip(a), true), "{a}");
        }
    }
}
