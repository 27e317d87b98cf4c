//! The QUIC side: one endpoint (server and client) on the listen address, the accept loop, and
//! one dial loop per peer this host is the dialer for (the lower name dials; the other side
//! accepts, and a new connection from a peer replaces its old one). Links that fail are dialled
//! again with a short backoff, so the tunnel reconnects on its own.
use crate::config::{Config, Peer};
use crate::mesh::Mesh;
use crate::tls::{client_crypto, server_crypto, Identity, Pins};
use quinn::{ClientConfig, Connecting, Endpoint, EndpointConfig, IdleTimeout, ServerConfig, TransportConfig, VarInt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// 1 B flags + 8 B connection id + 4 B packet number + 16 B AEAD tag + 9 B DATAGRAM frame bound:
/// what quinn subtracts from the UDP payload for a datagram (1472 → 1434 on a 1500 link).
pub const QUIC_OVERHEAD: u16 = 1 + 8 + 4 + 16 + 9;

fn transport(max_udp_payload: u16) -> Arc<TransportConfig> {
    let mut t = TransportConfig::default();
    t.initial_max_udp_payload_size(max_udp_payload)
        .keep_alive_interval(Some(Duration::from_secs(1)))
        .max_idle_timeout(Some(IdleTimeout::from(VarInt::from_u32(5_000))))
        .max_concurrent_bidi_streams(0u32.into())
        .max_concurrent_uni_streams(0u32.into())
        .datagram_receive_buffer_size(Some(4 << 20))
        .datagram_send_buffer_size(1 << 20);
    Arc::new(t)
}

/// The stateless-reset key derives from this host's private key, so a restarted tunnel can
/// reset its peers' stale connections at once (they dial again) instead of letting them time out.
fn reset_key(id: &Identity) -> Arc<ring::hmac::Key> {
    let seed = ring::digest::digest(&ring::digest::SHA256, &id.key.0);
    Arc::new(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, seed.as_ref()))
}

pub fn endpoint(c: &Config, id: &Identity, pins: &Pins) -> Result<Endpoint, String> {
    let t = transport(c.max_udp_payload());
    let mut server = ServerConfig::with_crypto(Arc::new(server_crypto(id, pins)?));
    server.transport_config(t.clone());
    let mut client = ClientConfig::new(Arc::new(client_crypto(id, pins)?));
    client.transport_config(t);
    let mut ec = EndpointConfig::new(reset_key(id));
    ec.max_udp_payload_size(c.max_udp_payload() as u64).map_err(|e| e.to_string())?;
    let socket = std::net::UdpSocket::bind(c.listen).map_err(|e| format!("cannot listen on {}: {e}", c.listen))?;
    socket_buffers(&socket);
    let mut ep = Endpoint::new(ec, Some(server), socket, quinn::TokioRuntime).map_err(|e| e.to_string())?;
    ep.set_default_client_config(client);
    Ok(ep)
}

/// A 64 KiB super-frame leaves as a burst of ~46 packets: the default socket buffers (~200 KiB)
/// overflow under load and lose whole frames. Root (before dropping to nobody) may exceed
/// net.core.rmem_max/wmem_max (the FORCE options); otherwise the kernel caps at those.
fn socket_buffers(socket: &std::net::UdpSocket) {
    use std::os::unix::io::AsRawFd;
    let size: libc::c_int = SOCKET_BUFFER;
    for (force, plain) in [(libc::SO_RCVBUFFORCE, libc::SO_RCVBUF), (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF)] {
        for opt in [force, plain] {
            let p = &size as *const libc::c_int as *const libc::c_void;
            let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            if unsafe { libc::setsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, opt, p, len) } == 0 {
                break;
            }
        }
    }
}

const SOCKET_BUFFER: libc::c_int = 8 << 20;

/// Which peer a connection authenticated as (its certificate's pin).
fn peer_of(conn: &quinn::Connection, pins: &Pins) -> Option<String> {
    let certs = conn.peer_identity()?.downcast::<Vec<rustls::Certificate>>().ok()?;
    pins.peer_of(&certs.first()?.0)
}

async fn serve(mesh: Arc<Mesh>, pins: Pins, connecting: Connecting) {
    let conn = match connecting.await {
        Ok(c) => c,
        Err(_) => return, // refused in the handshake (no CA chain or not pinned)
    };
    let peer = match peer_of(&conn, &pins) {
        Some(p) => p,
        None => return conn.close(1u32.into(), b"not pinned"),
    };
    mesh.link_up(&peer, &conn);
    let why = mesh.pump_link(&peer, &conn).await;
    mesh.link_down(&peer, &conn, why);
}

pub async fn accept_loop(ep: Endpoint, mesh: Arc<Mesh>, pins: Pins) {
    while let Some(connecting) = ep.accept().await {
        tokio::spawn(serve(mesh.clone(), pins.clone(), connecting));
    }
}

async fn dial_loop(ep: Endpoint, mesh: Arc<Mesh>, peer: Peer, addr: std::net::SocketAddr) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let attempt = match ep.connect(addr, &peer.name) {
            Ok(connecting) => connecting.await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match attempt {
            Ok(conn) => {
                backoff = Duration::from_millis(200);
                mesh.link_up(&peer.name, &conn);
                let why = mesh.pump_link(&peer.name, &conn).await;
                mesh.link_down(&peer.name, &conn, why);
            }
            Err(why) => mesh.link_failed(&peer.name, why),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// The peer set: pins and dial loops follow every change; unchanged peers keep their links.
pub struct PeerSet {
    own: String,
    ep: Endpoint,
    mesh: Arc<Mesh>,
    pins: Pins,
    running: HashMap<String, (Peer, Option<JoinHandle<()>>)>,
}

fn same(a: &Peer, b: &Peer) -> bool {
    a.endpoint == b.endpoint && a.fingerprint.eq_ignore_ascii_case(&b.fingerprint)
}

impl PeerSet {
    pub fn new(own: &str, ep: Endpoint, mesh: Arc<Mesh>, pins: Pins) -> PeerSet {
        PeerSet { own: own.to_string(), ep, mesh, pins, running: HashMap::new() }
    }

    pub fn apply(&mut self, peers: &[Peer]) {
        self.pins.replace(peers.iter().map(|p| (p.fingerprint.to_ascii_lowercase(), p.name.clone())).collect());
        let keep: HashMap<&str, &Peer> = peers.iter().map(|p| (p.name.as_str(), p)).collect();
        let gone: Vec<String> = self.running.iter().filter(|(n, (old, _))| keep.get(n.as_str()).map_or(true, |p| !same(old, p))).map(|(n, _)| n.clone()).collect();
        for name in gone {
            if let Some((_, Some(task))) = self.running.remove(&name) {
                task.abort();
            }
            self.mesh.drop_peer(&name);
        }
        for p in peers {
            if self.running.contains_key(&p.name) {
                continue;
            }
            let task = match p.endpoint {
                Some(addr) if self.own < p.name => Some(tokio::spawn(dial_loop(self.ep.clone(), self.mesh.clone(), p.clone(), addr))),
                _ => None,
            };
            self.running.insert(p.name.clone(), (p.clone(), task));
            if task_is_acceptor(&self.running[&p.name]) {
                self.mesh.link_failed(&p.name, "waiting for the peer to connect".into());
            }
        }
    }
}

fn task_is_acceptor(entry: &(Peer, Option<JoinHandle<()>>)) -> bool {
    entry.1.is_none()
}
