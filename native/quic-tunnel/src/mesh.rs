//! The switch between the TAP and the peers: frames read from the TAP go to the peer that last
//! sent from their destination MAC (learned), or to every connected peer for broadcast, multicast
//! and unknown destinations; frames from a peer go to the TAP. Peers never forward to each other
//! (a full mesh), so no loops.
use crate::control::emit;
use crate::status::{Counters, Status};
use crate::tap::Tap;
use bytes::Bytes;
use quinn::{Connection, SendDatagramError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct Mesh {
    pub tap: Tap,
    pub status: Status,
    links: Mutex<HashMap<String, Connection>>,
    macs: Mutex<HashMap<[u8; 6], String>>,
}

fn mac(b: &[u8]) -> [u8; 6] {
    let mut m = [0u8; 6];
    m.copy_from_slice(&b[..6]);
    m
}

impl Mesh {
    pub fn new(tap: Tap, status: Status) -> Arc<Mesh> {
        Arc::new(Mesh { tap, status, links: Mutex::default(), macs: Mutex::default() })
    }

    /// A new connection to `peer` replaces the old one (a restarted peer dials again).
    pub fn link_up(&self, peer: &str, conn: &Connection) {
        let old = self.links.lock().unwrap().insert(peer.to_string(), conn.clone());
        if let Some(old) = old {
            if old.stable_id() != conn.stable_id() {
                old.close(0u32.into(), b"replaced");
            }
        }
        emit(self.status.set(peer, true, None, Some(conn.remote_address().to_string()), conn.max_datagram_size()));
    }

    /// Only the current connection's end brings the peer down (not a replaced one's).
    pub fn link_down(&self, peer: &str, conn: &Connection, why: String) {
        let mut links = self.links.lock().unwrap();
        if links.get(peer).map(|c| c.stable_id()) != Some(conn.stable_id()) {
            return;
        }
        links.remove(peer);
        drop(links);
        self.macs.lock().unwrap().retain(|_, p| p != peer);
        emit(self.status.set(peer, false, Some(why), None, None));
    }

    pub fn link_failed(&self, peer: &str, why: String) {
        if !self.links.lock().unwrap().contains_key(peer) {
            emit(self.status.set(peer, false, Some(why), None, None));
        }
    }

    /// A peer left the overlay: its link closes and its state goes.
    pub fn drop_peer(&self, peer: &str) {
        if let Some(conn) = self.links.lock().unwrap().remove(peer) {
            conn.close(0u32.into(), b"removed");
        }
        self.macs.lock().unwrap().retain(|_, p| p != peer);
        self.status.forget(peer);
    }

    fn targets(&self, frame: &[u8]) -> Vec<Connection> {
        let links = self.links.lock().unwrap();
        if frame[0] & 1 == 0 {
            if let Some(peer) = self.macs.lock().unwrap().get(&mac(frame)) {
                if let Some(conn) = links.get(peer) {
                    return vec![conn.clone()];
                }
            }
        }
        links.values().cloned().collect()
    }

    fn send(&self, conn: &Connection, frame: Bytes) {
        let c = &self.status.counters;
        let len = frame.len() as u64;
        match conn.send_datagram(frame) {
            Ok(()) => {
                Counters::add(&c.tx_frames, 1);
                Counters::add(&c.tx_bytes, len);
            }
            Err(SendDatagramError::ConnectionLost(_)) => {}
            Err(_) => Counters::add(&c.dropped, 1),
        }
    }

    /// TAP → peers, until the TAP fails (it was deleted): that ends the tunnel.
    pub async fn pump_tap(self: Arc<Self>) -> std::io::Result<()> {
        let mut buf = vec![0u8; 65536];
        loop {
            let n = self.tap.read(&mut buf).await?;
            if n < 14 {
                continue;
            }
            let frame = Bytes::copy_from_slice(&buf[..n]);
            for conn in self.targets(&frame) {
                self.send(&conn, frame.clone());
            }
        }
    }

    /// One peer's datagrams → TAP, until its connection ends; returns why it ended.
    pub async fn pump_link(&self, peer: &str, conn: &Connection) -> String {
        let c = &self.status.counters;
        loop {
            let frame = match conn.read_datagram().await {
                Ok(f) => f,
                Err(e) => return e.to_string(),
            };
            if frame.len() < 14 {
                continue;
            }
            if frame[6] & 1 == 0 {
                let src = mac(&frame[6..]);
                let mut macs = self.macs.lock().unwrap();
                if macs.get(&src).map(|p| p != peer).unwrap_or(true) {
                    macs.insert(src, peer.to_string());
                }
            }
            Counters::add(&c.rx_frames, 1);
            Counters::add(&c.rx_bytes, frame.len() as u64);
            if self.tap.write(&frame).await.is_err() {
                Counters::add(&c.dropped, 1);
            }
        }
    }
}
