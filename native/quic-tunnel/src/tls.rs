//! Mutual TLS for the tunnel. Each host presents its certificate (DNS name "nova-overlay") followed
//! by the overlay CA that signed it. A peer is accepted when its certificate chains to a trusted
//! CA (the `ca` bundle, or the CA it presented itself: hosts whose engines made their own overlay
//! CA need no CA exchange) AND its SHA-256 fingerprint is pinned for that peer. The pin is what
//! authenticates a host; the chain check adds validity dates, key usage and the issuer signature.
use ring::digest::{digest, SHA256};
use rustls::client::{ServerCertVerified, ServerCertVerifier, WebPkiVerifier};
use rustls::server::{AllowAnyAuthenticatedClient, ClientCertVerified, ClientCertVerifier};
use rustls::{Certificate, DistinguishedNames, Error, PrivateKey, RootCertStore, ServerName};
use std::collections::HashMap;
use std::io::BufReader;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

pub const ALPN: &[u8] = b"nova-quic-tunnel/2";
/// The DNS name in every host certificate (hosts are told apart by their pins, not names).
pub const CERT_NAME: &str = "nova-overlay";

/// Pinned peer certificates: SHA-256 fingerprint (lowercase hex) → peer name.
#[derive(Clone, Default)]
pub struct Pins(Arc<RwLock<HashMap<String, String>>>);

impl Pins {
    pub fn replace(&self, pins: HashMap<String, String>) {
        *self.0.write().unwrap() = pins;
    }

    pub fn peer_of(&self, cert: &[u8]) -> Option<String> {
        self.0.read().unwrap().get(&fingerprint(cert)).cloned()
    }
}

pub fn fingerprint(der: &[u8]) -> String {
    digest(&SHA256, der).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn unpinned(cert: &[u8]) -> Error {
    Error::General(format!("peer certificate {} is not pinned for this overlay", fingerprint(cert)))
}

pub fn load_certs(path: &str) -> Result<Vec<Certificate>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path}: no PEM certificate in it"));
    }
    Ok(certs.into_iter().map(Certificate).collect())
}

pub fn load_key(path: &str) -> Result<PrivateKey, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let keys = rustls_pemfile::pkcs8_private_keys(&mut BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?;
    keys.into_iter().next().map(PrivateKey).ok_or_else(|| format!("{path}: no PKCS#8 private key (BEGIN PRIVATE KEY) in it"))
}

pub fn roots(ca: &[Certificate]) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for c in ca {
        store.add(c).map_err(|e| format!("CA certificate: {e}"))?;
    }
    Ok(store)
}

/// The configured CAs plus the issuer(s) the peer presented (see the module comment).
fn anchors(ca: &RootCertStore, presented: &[Certificate]) -> RootCertStore {
    let mut store = ca.clone();
    for c in presented {
        let _ = store.add(c);
    }
    store
}

/// Client side: the CA chain and the server's name (its certificate's DNS name), then the pin,
/// which must belong to the peer we meant to reach.
struct PinnedServer {
    ca: RootCertStore,
    pins: Pins,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &Certificate,
        intermediates: &[Certificate],
        server_name: &ServerName,
        scts: &mut dyn Iterator<Item = &[u8]>,
        ocsp: &[u8],
        now: SystemTime,
    ) -> Result<ServerCertVerified, Error> {
        let name = ServerName::try_from(CERT_NAME).map_err(|_| Error::General("bad CERT_NAME".into()))?;
        WebPkiVerifier::new(anchors(&self.ca, intermediates), None).verify_server_cert(end_entity, intermediates, &name, scts, ocsp, now)?;
        let expected = match server_name {
            ServerName::DnsName(n) => n.as_ref().to_string(),
            _ => String::new(),
        };
        match self.pins.peer_of(&end_entity.0) {
            Some(name) if name == expected => Ok(ServerCertVerified::assertion()),
            _ => Err(unpinned(&end_entity.0)),
        }
    }
}

/// Server side: the CA chain, then the pin (which tells us which peer connected).
struct PinnedClient {
    ca: RootCertStore,
    pins: Pins,
}

impl ClientCertVerifier for PinnedClient {
    fn client_auth_root_subjects(&self) -> Option<DistinguishedNames> {
        Some(DistinguishedNames::new())
    }

    fn verify_client_cert(&self, end_entity: &Certificate, intermediates: &[Certificate], now: SystemTime) -> Result<ClientCertVerified, Error> {
        AllowAnyAuthenticatedClient::new(anchors(&self.ca, intermediates)).verify_client_cert(end_entity, intermediates, now)?;
        self.pins.peer_of(&end_entity.0).map(|_| ClientCertVerified::assertion()).ok_or_else(|| unpinned(&end_entity.0))
    }
}

pub struct Identity {
    pub ca: Vec<Certificate>,
    pub certs: Vec<Certificate>,
    pub key: PrivateKey,
}

/// TLS 1.3 suites, AES-128-GCM first: both ends list it first (the server follows the client's
/// order), so links use it. Ten AES rounds instead of AES-256's fourteen, on AES-NI here; the
/// others stay for peers that offer only them.
pub fn suites() -> Vec<rustls::SupportedCipherSuite> {
    use rustls::cipher_suite::{TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256};
    vec![TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256]
}

pub fn server_crypto(id: &Identity, pins: &Pins) -> Result<rustls::ServerConfig, String> {
    let verifier = PinnedClient { ca: roots(&id.ca)?, pins: pins.clone() };
    let mut tls = rustls::ServerConfig::builder()
        .with_cipher_suites(&suites())
        .with_safe_default_kx_groups()
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(id.certs.clone(), id.key.clone())
        .map_err(|e| format!("cert/key: {e}"))?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    Ok(tls)
}

pub fn client_crypto(id: &Identity, pins: &Pins) -> Result<rustls::ClientConfig, String> {
    let verifier = PinnedServer { ca: roots(&id.ca)?, pins: pins.clone() };
    let mut tls = rustls::ClientConfig::builder()
        .with_cipher_suites(&suites())
        .with_safe_default_kx_groups()
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_single_cert(id.certs.clone(), id.key.clone())
        .map_err(|e| format!("cert/key: {e}"))?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    Ok(tls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_128_gcm_is_offered_first_and_only_tls13_suites() {
        let names: Vec<String> = suites().iter().map(|s| format!("{:?}", s.suite())).collect();
        assert_eq!(names[0], "TLS13_AES_128_GCM_SHA256");
        assert!(names.iter().all(|n| n.starts_with("TLS13_")), "{names:?}");
        assert_eq!(names.len(), 3);
    }
}
