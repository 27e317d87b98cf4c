//! The tunnel's configuration: the first JSON line on stdin, checked here so that every error
//! names the field and what to put there.
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// The peer host's name: its certificate's DNS name (SAN) and its name in events.
    pub name: String,
    /// Where to reach it ("IP:PORT"); a peer without one only connects to us.
    pub endpoint: Option<SocketAddr>,
    /// SHA-256 of the peer certificate (DER), 64 hex digits: only that certificate is accepted.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This host's name (must match its certificate's DNS name).
    pub name: String,
    /// The UDP address the tunnel listens on ("IP:PORT").
    pub listen: SocketAddr,
    /// The TAP device to attach to (created persistent by the engine) or to create.
    pub tap: String,
    /// The underlay's link MTU; the QUIC packets are sized to fit it (no path MTU discovery).
    pub underlay_mtu: u16,
    /// PEM files: the overlay's CA certificate, this host's certificate and its private key.
    pub ca: String,
    pub cert: String,
    pub key: String,
    #[serde(default)]
    pub peers: Vec<Peer>,
    /// Where the peers' states are written (JSON, replaced atomically) for the engine to read.
    pub status_file: Option<String>,
    /// Keep running when stdin closes (the engine detached); otherwise stdin EOF stops the tunnel.
    #[serde(default)]
    pub detach: bool,
    /// Started as root: once the TAP is attached, the socket bound and the key read, continue as
    /// this uid/gid (the tunnel parses what arrives from the network; it needs no privilege then).
    pub run_as_uid: Option<u32>,
    pub run_as_gid: Option<u32>,
}

pub struct ConfigError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: String) -> ConfigError {
    ConfigError { field: field.into(), message }
}

/// Host names travel as certificate DNS names: lowercase letters, digits and dashes.
pub fn check_name(field: &str, name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok { Ok(()) } else { Err(err(field, format!("{name:?} is not a host name: use 1-63 lowercase letters, digits and '-'"))) }
}

pub fn check_fingerprint(field: &str, fp: &str) -> Result<(), ConfigError> {
    if fp.len() == 64 && fp.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(err(field, format!("{fp:?} is not a SHA-256 fingerprint: give the 64 hex digits of the peer certificate's DER digest")))
    }
}

pub fn check_peers(peers: &[Peer], own: &str) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (i, p) in peers.iter().enumerate() {
        check_name(&format!("peers[{i}].name"), &p.name)?;
        check_fingerprint(&format!("peers[{i}].fingerprint"), &p.fingerprint)?;
        if p.name == own || !seen.insert(p.name.clone()) {
            return Err(err(&format!("peers[{i}].name"), format!("{:?} appears twice (or is this host): give each peer once", p.name)));
        }
    }
    Ok(())
}

impl Config {
    pub fn parse(line: &str) -> Result<Config, ConfigError> {
        let c: Config = serde_json::from_str(line).map_err(|e| err("config", format!("{e}: send one JSON object on the first stdin line")))?;
        check_name("name", &c.name)?;
        if c.tap.is_empty() || c.tap.len() > 15 || c.tap.contains('/') || c.tap.contains(char::is_whitespace) {
            return Err(err("tap", format!("{:?} is not an interface name: 1-15 characters, no '/' or spaces", c.tap)));
        }
        if c.underlay_mtu < 1280 {
            return Err(err("underlay_mtu", format!("{} is too small: QUIC needs a link MTU of at least 1280", c.underlay_mtu)));
        }
        check_peers(&c.peers, &c.name)?;
        Ok(c)
    }

    /// The largest UDP payload the underlay carries unfragmented (IP and UDP headers removed).
    pub fn max_udp_payload(&self) -> u16 {
        let ip_udp = if self.listen.is_ipv4() { 20 + 8 } else { 40 + 8 };
        self.underlay_mtu - ip_udp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> String {
        r#"{"name":"a","listen":"10.0.0.1:7000","tap":"t0","underlay_mtu":1500,"ca":"c","cert":"d","key":"k","peers":[]}"#.into()
    }

    #[test]
    fn mtu_from_the_underlay() {
        assert_eq!(Config::parse(&base()).ok().unwrap().max_udp_payload(), 1472);
    }

    #[test]
    fn errors_name_the_field() {
        let bad = base().replace(r#""name":"a""#, r#""name":"A b""#);
        assert_eq!(Config::parse(&bad).err().unwrap().field, "name");
        let bad = base().replace("[]", r#"[{"name":"b","fingerprint":"zz"}]"#);
        assert_eq!(Config::parse(&bad).err().unwrap().field, "peers[0].fingerprint");
    }
}
