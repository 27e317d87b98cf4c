//! The TAP device: attached by name with the TUNSETIFF ioctl (an existing persistent TAP the
//! engine created for this user, or a new one when we may create devices), read and written
//! one frame per call through tokio's readiness on the non-blocking fd. Every frame has a
//! virtio-net header in front (IFF_VNET_HDR) and the TAP offers checksum and TCP segmentation
//! offload, so the kernel passes TCP in 64 KiB super-frames both ways (see frames.rs).
use std::io;
use std::os::unix::io::{AsRawFd, RawFd};
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};

const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
const IFF_VNET_HDR: libc::c_short = 0x4000;
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;
const TUN_F_CSUM: libc::c_uint = 0x01;
const TUN_F_TSO4: libc::c_uint = 0x02;
const TUN_F_TSO6: libc::c_uint = 0x04;
const TUN_F_TSO_ECN: libc::c_uint = 0x08;

pub struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        unsafe { libc::close(self.0) };
    }
}

pub struct Tap {
    fd: AsyncFd<Fd>,
}

#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

fn open_tap(name: &str) -> io::Result<Fd> {
    let raw = unsafe { libc::open(b"/dev/net/tun\0".as_ptr().cast(), libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = Fd(raw);
    let mut req = IfReq { name: [0; libc::IFNAMSIZ], flags: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, _pad: [0; 22] };
    req.name[..name.len()].copy_from_slice(name.as_bytes());
    if unsafe { libc::ioctl(fd.0, TUNSETIFF as _, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // Offloads are an optimisation: a kernel that refuses them still passes plain frames.
    let offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if unsafe { libc::ioctl(fd.0, TUNSETOFFLOAD as _, offloads as libc::c_ulong) } < 0 {
        unsafe { libc::ioctl(fd.0, TUNSETOFFLOAD as _, 0 as libc::c_ulong) };
    }
    Ok(fd)
}

impl Tap {
    pub fn open(name: &str) -> io::Result<Tap> {
        let fd = open_tap(name).map_err(|e| {
            let hint = if e.raw_os_error() == Some(libc::EPERM) {
                "create it first (ip tuntap add dev NAME mode tap user USER) or run with CAP_NET_ADMIN"
            } else {
                "check /dev/net/tun exists and the name is free"
            };
            io::Error::new(e.kind(), format!("cannot attach TAP {name}: {e}; {hint}"))
        })?;
        Ok(Tap { fd: AsyncFd::new(fd)? })
    }

    /// Waits until frames are queued; read them with try_read, then clear the guard.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, Fd>> {
        self.fd.readable().await
    }

    /// Reads one frame (header + frame) without waiting; None when nothing is queued.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let n = unsafe { libc::read(self.fd.get_ref().0, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(Some(n as usize));
        }
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::WouldBlock { Ok(None) } else { Err(e) }
    }

    /// Writes one frame given in parts (header + frame). The caller drops a frame the kernel
    /// refuses (e.g. the TAP is down).
    pub async fn write(&self, parts: &[&[u8]]) -> io::Result<()> {
        loop {
            let mut ready = self.fd.writable().await?;
            let res = ready.try_io(|fd| {
                let iov: Vec<libc::iovec> = parts.iter().map(|p| libc::iovec { iov_base: p.as_ptr() as *mut _, iov_len: p.len() }).collect();
                let n = unsafe { libc::writev(fd.get_ref().0, iov.as_ptr(), iov.len() as libc::c_int) };
                if n < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
            });
            if let Ok(result) = res {
                return result;
            }
        }
    }
}
