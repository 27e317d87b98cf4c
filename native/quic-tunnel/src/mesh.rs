//! The switch between the TAP and the peers: frames read from the TAP go to the peer that last
//! sent from their destination MAC (learned), or to every connected peer for broadcast, multicast
//! and unknown destinations; frames from a peer go to the TAP. Peers never forward to each other
//! (a full mesh), so no loops. The TAP is read by one task (every queued frame per wakeup, into
//! one reused buffer: no copy and no allocation per frame) and written by each peer's task, so on
//! the multi-thread runtime sending and receiving run in parallel.
use crate::control::emit;
use crate::frames::{self, Decoded, Reassembly, VNET_HDR};
use crate::status::{Counters, Status};
use crate::tap::Tap;
use bytes::{BufMut, Bytes, BytesMut};
use quinn::{Connection, SendDatagramError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The largest frame the TAP hands over (a 64 KiB super-frame) with its virtio-net header.
const MAX_READ: usize = 65536 + VNET_HDR;
/// Read buffers are carved from blocks this large (frames in flight keep their block alive).
const BLOCK: usize = 1 << 20;
const ZERO_HDR: [u8; VNET_HDR] = [0; VNET_HDR];

/// A link and the largest datagram it carries (fixed for its life: quinn 0.9 does no PMTU discovery).
#[derive(Clone)]
struct Link {
    conn: Connection,
    max: usize,
}

pub struct Mesh {
    pub tap: Tap,
    pub status: Status,
    links: Mutex<HashMap<String, Link>>,
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
        let max = conn.max_datagram_size().unwrap_or(0);
        let old = self.links.lock().unwrap().insert(peer.to_string(), Link { conn: conn.clone(), max }).map(|l| l.conn);
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
        if links.get(peer).map(|l| l.conn.stable_id()) != Some(conn.stable_id()) {
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
        if let Some(Link { conn, .. }) = self.links.lock().unwrap().remove(peer) {
            conn.close(0u32.into(), b"removed");
        }
        self.macs.lock().unwrap().retain(|_, p| p != peer);
        self.status.forget(peer);
    }

    /// The status reply, with each link's QUIC path figures (RTT, congestion window, losses).
    pub fn snapshot(&self) -> serde_json::Value {
        let mut v = self.status.snapshot();
        let links: Vec<serde_json::Value> = self.links.lock().unwrap().iter().map(|(peer, l)| {
            let p = l.conn.stats().path;
            serde_json::json!({ "peer": peer, "rtt_us": p.rtt.as_micros() as u64, "cwnd": p.cwnd, "congestion_events": p.congestion_events,
                                "lost_packets": p.lost_packets, "sent_packets": p.sent_packets })
        }).collect();
        v["links"] = links.into();
        v
    }

    fn targets(&self, frame: &[u8]) -> Vec<Link> {
        let links = self.links.lock().unwrap();
        if frame[0] & 1 == 0 {
            if let Some(peer) = self.macs.lock().unwrap().get(&mac(frame)) {
                if let Some(link) = links.get(peer) {
                    return vec![link.clone()];
                }
            }
        }
        links.values().cloned().collect()
    }

    /// One TAP read (header + frame) to its peer(s). A frame in pieces goes whole or not at all:
    /// when the link's send buffer is full it is dropped here (TCP inside sees one loss) rather
    /// than quinn dropping older pieces of other frames.
    fn forward(&self, raw: BytesMut, next_id: &mut u16) {
        let c = &self.status.counters;
        if raw.len() < VNET_HDR + 14 {
            return;
        }
        let targets = self.targets(&raw[VNET_HDR..]);
        let max = match targets.iter().map(|l| l.max).filter(|m| *m > frames::PIECE_HEADER).min() {
            Some(m) => m,
            None => return,
        };
        let len = (raw.len() - VNET_HDR) as u64;
        let dgrams = frames::encode(raw, max, next_id);
        let total: usize = dgrams.iter().map(|d| d.len()).sum();
        for link in &targets {
            if dgrams.len() > 1 && link.conn.datagram_send_buffer_space() < total {
                Counters::add(&c.dropped, 1);
                continue;
            }
            let mut ok = true;
            for d in &dgrams {
                ok &= self.send(&link.conn, d.clone());
            }
            if ok {
                Counters::add(&c.tx_frames, 1);
                Counters::add(&c.tx_bytes, len);
            }
        }
    }

    fn send(&self, conn: &Connection, d: Bytes) -> bool {
        match conn.send_datagram(d) {
            Ok(()) => true,
            Err(SendDatagramError::ConnectionLost(_)) => false,
            Err(_) => {
                Counters::add(&self.status.counters.dropped, 1);
                false
            }
        }
    }

    /// TAP → peers, until the TAP fails (it was deleted): that ends the tunnel.
    pub async fn pump_tap(self: Arc<Self>) -> std::io::Result<()> {
        let mut buf = BytesMut::with_capacity(BLOCK);
        let mut next_id: u16 = 0;
        loop {
            let mut ready = self.tap.readable().await?;
            loop {
                if buf.capacity() < MAX_READ {
                    buf = BytesMut::with_capacity(BLOCK);
                }
                let spare = buf.chunk_mut();
                // SAFETY: the kernel writes at most `len` bytes there; only those n become part of buf.
                let dst = unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr(), MAX_READ) };
                match self.tap.try_read(dst)? {
                    Some(n) => {
                        unsafe { buf.advance_mut(n) };
                        self.forward(buf.split(), &mut next_id);
                    }
                    None => {
                        ready.clear_ready();
                        break;
                    }
                }
            }
        }
    }

    /// One peer's datagrams → TAP, until its connection ends; returns why it ended.
    pub async fn pump_link(&self, peer: &str, conn: &Connection) -> String {
        let c = &self.status.counters;
        let mut pieces = Reassembly::default();
        loop {
            let d = match conn.read_datagram().await {
                Ok(d) => d,
                Err(e) => return e.to_string(),
            };
            let res = match pieces.push(d) {
                Decoded::Whole(f) => {
                    self.learn(peer, &f);
                    Counters::add(&c.rx_bytes, f.len() as u64);
                    self.tap.write(&[&ZERO_HDR, &f]).await
                }
                Decoded::Pieces(p) => {
                    let first = if p[0].len() >= VNET_HDR + 12 { p[0].clone() } else { Bytes::from(p.concat()) };
                    self.learn(peer, &first[VNET_HDR..]);
                    Counters::add(&c.rx_bytes, (p.iter().map(|b| b.len()).sum::<usize>() - VNET_HDR) as u64);
                    let parts: Vec<&[u8]> = p.iter().map(|b| &b[..]).collect();
                    self.tap.write(&parts).await
                }
                Decoded::Nothing => continue,
            };
            Counters::add(&c.rx_frames, 1);
            if res.is_err() {
                Counters::add(&c.dropped, 1);
            }
        }
    }

    /// The frame's source MAC is behind this peer.
    fn learn(&self, peer: &str, frame: &[u8]) {
        if frame[6] & 1 == 0 {
            let src = mac(&frame[6..]);
            let mut macs = self.macs.lock().unwrap();
            if macs.get(&src).map(|p| p != peer).unwrap_or(true) {
                macs.insert(src, peer.to_string());
            }
        }
    }
}
