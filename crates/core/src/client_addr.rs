//! The client's address: the TCP peer, unless that peer is a trusted proxy, in which case the
//! forwarding headers are read and the right-most address that is not a trusted proxy wins.

use ipnet::IpNet;
use std::net::IpAddr;

/// The forwarding headers a request carried (each may be absent).
#[derive(Debug, Default, Clone, Copy)]
pub struct Forwarded<'a> {
    /// `Forwarded` (RFC 7239), all values joined by `,`.
    pub forwarded: Option<&'a str>,
    /// `X-Forwarded-For`, all values joined by `,`.
    pub x_forwarded_for: Option<&'a str>,
    /// `X-Real-IP`.
    pub x_real_ip: Option<&'a str>,
}

/// The address the request is from, as SPEC section 5 defines it.
pub fn client_address(peer: IpAddr, headers: Forwarded<'_>, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = if let Some(value) = headers.forwarded {
        value.split(',').filter_map(forwarded_for).collect()
    } else if let Some(value) = headers.x_forwarded_for {
        value
            .split(',')
            .filter_map(|s| parse_addr(s.trim()))
            .collect()
    } else if let Some(value) = headers.x_real_ip {
        parse_addr(value.trim()).into_iter().collect()
    } else {
        Vec::new()
    };
    // Walk from the nearest hop outwards; the first untrusted address is the client. When
    // every hop is a trusted proxy, the farthest one is.
    chain
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or_else(|| chain.first())
        .copied()
        .unwrap_or(peer)
}

/// The `for=` address of one `Forwarded` element (`for=192.0.2.1`, `for="[2001:db8::1]:80"`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        parse_addr(value.trim().trim_matches('"'))
    })
}

/// An address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_addr(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = text.strip_prefix('[') {
        let inside = rest.split(']').next()?;
        return inside.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_headers_are_ignored() {
        let headers = Forwarded {
            forwarded: Some("for=10.0.0.1"),
            x_forwarded_for: Some("10.0.0.1"),
            x_real_ip: Some("10.0.0.1"),
        };
        assert_eq!(
            client_address(ip("203.0.113.9"), headers, &[]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("203.0.113.9"), headers, &nets(&["127.0.0.0/8"])),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_peer_right_most_untrusted_wins() {
        let trusted = nets(&["127.0.0.0/8", "10.1.0.0/16"]);
        let xff = Forwarded {
            x_forwarded_for: Some("6.6.6.6, 198.51.100.7, 10.1.2.3"),
            ..Default::default()
        };
        assert_eq!(
            client_address(ip("127.0.0.1"), xff, &trusted),
            ip("198.51.100.7")
        );
        let real = Forwarded {
            x_real_ip: Some("198.51.100.8"),
            ..Default::default()
        };
        assert_eq!(
            client_address(ip("127.0.0.1"), real, &trusted),
            ip("198.51.100.8")
        );
        let fwd = Forwarded {
            forwarded: Some("for=198.51.100.9;proto=https, for=\"[2001:db8::1]:443\""),
            ..Default::default()
        };
        assert_eq!(
            client_address(ip("127.0.0.1"), fwd, &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), Forwarded::default(), &trusted),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn garbage_headers_fall_back_to_the_peer() {
        let trusted = nets(&["127.0.0.0/8"]);
        let junk = Forwarded {
            x_forwarded_for: Some("not-an-ip, also bad"),
            ..Default::default()
        };
        assert_eq!(
            client_address(ip("127.0.0.1"), junk, &trusted),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn ipv4_mapped_peer_is_ipv4() {
        assert_eq!(
            client_address(ip("::ffff:192.0.2.1"), Forwarded::default(), &[]),
            ip("192.0.2.1")
        );
    }
}
