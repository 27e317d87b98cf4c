//! What one QUIC datagram carries. The TAP is opened with a virtio-net header and TCP
//! segmentation offload, so the kernel hands over up to 64 KiB TCP "super-frames" (one read
//! instead of ~45) and takes them back whole on the other host (one write, one pass through
//! the bridge and the guest's stack). A datagram holds either
//!   WHOLE: [0x00] + an Ethernet frame that fits (its checksum completed here, if left partial), or
//!   PIECE: [0x01, id (2 B), index, count] + a piece of (virtio-net header + frame),
//! and the receiver writes the pieces of one id back as one frame with its header (writev).
use bytes::{BufMut, Bytes, BytesMut};

/// The byte in front of every datagram (WHOLE or PIECE): the L2 MTU is one less than the datagram room.
pub const TAG: u16 = 1;
pub const WHOLE: u8 = 0;
pub const PIECE: u8 = 1;
pub const PIECE_HEADER: usize = 5;
/// struct virtio_net_hdr (linux/virtio_net.h): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset.
pub const VNET_HDR: usize = 10;
const F_NEEDS_CSUM: u8 = 1;
const GSO_NONE: u8 = 0;
/// At most this many frames of one peer are reassembled at once (the oldest gives way).
const PARTIALS: usize = 4;

/// One frame as read from the TAP: `buf` = virtio-net header + Ethernet frame.
pub struct TapFrame<'a> {
    pub buf: &'a mut [u8],
}

impl TapFrame<'_> {
    fn gso(&self) -> bool {
        self.buf[1] != GSO_NONE
    }
    /// Completes a checksum the kernel left partial (offload): what a NIC would do.
    fn finish_checksum(&mut self) -> bool {
        if self.buf[0] & F_NEEDS_CSUM == 0 {
            return true;
        }
        let start = u16::from_le_bytes([self.buf[6], self.buf[7]]) as usize;
        let offset = u16::from_le_bytes([self.buf[8], self.buf[9]]) as usize;
        let f = &mut self.buf[VNET_HDR..];
        if start + offset + 2 > f.len() {
            return false;
        }
        // The kernel put the pseudo-header sum in the checksum field: summing from csum_start covers it.
        let sum = match !fold(sum16(&f[start..])) {
            0 => 0xffff, // as the kernel's skb_checksum_help writes a zero result (CSUM_MANGLED_0)
            s => s,
        };
        f[start + offset..start + offset + 2].copy_from_slice(&sum.to_be_bytes());
        self.buf[0] &= !F_NEEDS_CSUM;
        true
    }
}

fn sum16(data: &[u8]) -> u32 {
    let mut sum: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        sum += (w >> 48) + ((w >> 32) & 0xffff) + ((w >> 16) & 0xffff) + (w & 0xffff);
    }
    let mut rest = chunks.remainder().chunks_exact(2);
    for c in &mut rest {
        sum += u16::from_be_bytes([c[0], c[1]]) as u64;
    }
    if let [b] = rest.remainder() {
        sum += (*b as u64) << 8;
    }
    while sum > 0xffff_ffff {
        sum = (sum & 0xffff_ffff) + (sum >> 32);
    }
    sum as u32
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// What to send for one TAP read (`raw` = header + frame, read at offset 0 of a buffer that has
/// `raw.len()` valid bytes): the datagrams for a peer whose datagrams hold at most `max` bytes.
/// A frame that fits goes WHOLE without a copy (the tag overwrites the header's last byte).
pub fn encode(mut raw: BytesMut, max: usize, next_id: &mut u16) -> Vec<Bytes> {
    let fits = raw.len() - VNET_HDR + 1 <= max;
    let mut tf = TapFrame { buf: &mut raw[..] };
    if fits && !tf.gso() && tf.finish_checksum() {
        let mut b = raw.split_off(VNET_HDR - 1);
        b[0] = WHOLE;
        return vec![b.freeze()];
    }
    pieces(&raw, max, next_id)
}

/// The PIECE datagrams of `raw` (header + frame), in order.
pub fn pieces(raw: &[u8], max: usize, next_id: &mut u16) -> Vec<Bytes> {
    let room = max.saturating_sub(PIECE_HEADER).max(1);
    let count = (raw.len() + room - 1) / room;
    if count > 255 {
        return Vec::new(); // larger than any TAP frame (64 KiB): never happens with a sane MTU
    }
    let id = *next_id;
    *next_id = next_id.wrapping_add(1);
    let mut all = BytesMut::with_capacity(raw.len() + count * PIECE_HEADER);
    let mut out = Vec::with_capacity(count);
    for (i, piece) in raw.chunks(room).enumerate() {
        all.put_u8(PIECE);
        all.put_u16(id);
        all.put_u8(i as u8);
        all.put_u8(count as u8);
        all.put_slice(piece);
        out.push(all.split().freeze());
    }
    out
}

struct Partial {
    id: u16,
    count: u8,
    have: usize,
    parts: Vec<Option<Bytes>>,
}

/// What came out of one datagram for the TAP.
pub enum Decoded {
    /// An Ethernet frame without a header (write a zero virtio-net header before it).
    Whole(Bytes),
    /// The pieces of a header + frame, in order (write them as one).
    Pieces(Vec<Bytes>),
    /// Nothing yet (a piece of an incomplete frame), or a malformed datagram.
    Nothing,
}

/// Reassembles one peer's pieces (lost pieces lose their frame: TCP inside resends it).
#[derive(Default)]
pub struct Reassembly {
    partials: Vec<Partial>,
}

impl Reassembly {
    pub fn push(&mut self, d: Bytes) -> Decoded {
        match d.first() {
            Some(&WHOLE) if d.len() > 14 => Decoded::Whole(d.slice(1..)),
            Some(&PIECE) if d.len() > PIECE_HEADER => self.piece(d),
            _ => Decoded::Nothing,
        }
    }

    fn piece(&mut self, d: Bytes) -> Decoded {
        let (id, index, count) = (u16::from_be_bytes([d[1], d[2]]), d[3], d[4]);
        if count == 0 || index >= count {
            return Decoded::Nothing;
        }
        let at = match self.partials.iter().position(|p| p.id == id && p.count == count) {
            Some(at) => at,
            None => {
                if self.partials.len() >= PARTIALS {
                    self.partials.remove(0);
                }
                self.partials.push(Partial { id, count, have: 0, parts: vec![None; count as usize] });
                self.partials.len() - 1
            }
        };
        let p = &mut self.partials[at];
        let slot = &mut p.parts[index as usize];
        if slot.is_none() {
            *slot = Some(d.slice(PIECE_HEADER..));
            p.have += 1;
        }
        if p.have < p.count as usize {
            return Decoded::Nothing;
        }
        let done = self.partials.remove(at);
        let parts: Vec<Bytes> = done.parts.into_iter().flatten().collect();
        if parts.iter().map(|b| b.len()).sum::<usize>() <= VNET_HDR + 14 {
            return Decoded::Nothing;
        }
        Decoded::Pieces(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(len: usize, gso: bool) -> BytesMut {
        let mut b = BytesMut::zeroed(VNET_HDR + len);
        if gso {
            b[1] = 1; // VIRTIO_NET_HDR_GSO_TCPV4
        }
        for (i, x) in b[VNET_HDR..].iter_mut().enumerate() {
            *x = (i % 251) as u8;
        }
        b
    }

    #[test]
    fn a_frame_that_fits_goes_whole_without_its_header() {
        let r = raw(1400, false);
        let frame = r[VNET_HDR..].to_vec();
        let mut id = 0;
        let out = encode(r, 1434, &mut id);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][0], WHOLE);
        match Reassembly::default().push(out[0].clone()) {
            Decoded::Whole(f) => assert_eq!(&f[..], &frame[..]),
            _ => panic!("not whole"),
        }
    }

    #[test]
    fn a_super_frame_goes_in_pieces_and_comes_back_whole_in_any_order() {
        let r = raw(65000, true);
        let want = r.to_vec();
        let mut id = 7;
        let mut out = encode(r, 1434, &mut id);
        assert_eq!(id, 8);
        assert!(out.iter().all(|d| d.len() <= 1434 && d[0] == PIECE));
        assert_eq!(out.len(), (want.len() + 1428) / 1429);
        out.swap(0, 3);
        let mut re = Reassembly::default();
        let last = out.pop().unwrap();
        for d in out {
            assert!(matches!(re.push(d), Decoded::Nothing));
        }
        match re.push(last) {
            Decoded::Pieces(p) => assert_eq!(p.concat(), want),
            _ => panic!("not reassembled"),
        }
    }

    #[test]
    fn a_lost_piece_loses_only_its_frame() {
        let mut id = 0;
        let mut re = Reassembly::default();
        let mut first = encode(raw(5000, true), 1434, &mut id);
        first.remove(1);
        for d in first {
            assert!(matches!(re.push(d), Decoded::Nothing));
        }
        let second = encode(raw(5000, true), 1434, &mut id);
        let n = second.len();
        let got: Vec<bool> = second.into_iter().map(|d| matches!(re.push(d), Decoded::Pieces(_))).collect();
        assert_eq!(got, [vec![false; n - 1], vec![true]].concat());
    }

    #[test]
    fn a_partial_checksum_is_completed_like_a_nic_would() {
        // IPv4 UDP 10.0.0.1:1 -> 10.0.0.2:2, payload "hi", checksum field holding the pseudo-header sum.
        let mut f = vec![0u8; 14];
        f.extend_from_slice(&[0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(&[0, 1, 0, 2, 0, 10, 0, 0, b'h', b'i']);
        let pseudo = fold(sum16(&[10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 10]));
        f[40..42].copy_from_slice(&pseudo.to_be_bytes());
        let mut buf = vec![F_NEEDS_CSUM, 0, 0, 0, 0, 0, 34, 0, 6, 0];
        buf.extend_from_slice(&f);
        let mut tf = TapFrame { buf: &mut buf };
        assert!(tf.finish_checksum());
        let udp = &buf[VNET_HDR + 34..];
        let check = fold(sum16(&[10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 10]) + sum16(udp));
        assert_eq!(check, 0xffff, "the UDP checksum verifies");
        assert_eq!(buf[0] & F_NEEDS_CSUM, 0);
    }
}
