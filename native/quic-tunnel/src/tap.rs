//! The TAP device: attached by name with the TUNSETIFF ioctl (an existing persistent TAP the
//! engine created for this user, or a new one when we may create devices), read and written
//! one Ethernet frame per call through tokio's readiness on the non-blocking fd.
use std::io;
use std::os::unix::io::{AsRawFd, RawFd};
use tokio::io::unix::AsyncFd;

const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;

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
    let mut req = IfReq { name: [0; libc::IFNAMSIZ], flags: IFF_TAP | IFF_NO_PI, _pad: [0; 22] };
    req.name[..name.len()].copy_from_slice(name.as_bytes());
    if unsafe { libc::ioctl(fd.0, TUNSETIFF as _, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
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

    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut ready = self.fd.readable().await?;
            let res = ready.try_io(|fd| {
                let n = unsafe { libc::read(fd.get_ref().0, buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 { Err(io::Error::last_os_error()) } else { Ok(n as usize) }
            });
            if let Ok(result) = res {
                return result;
            }
        }
    }

    /// Writes one frame. The caller drops a frame the kernel refuses (e.g. the TAP is down).
    pub async fn write(&self, frame: &[u8]) -> io::Result<()> {
        loop {
            let mut ready = self.fd.writable().await?;
            let res = ready.try_io(|fd| {
                let n = unsafe { libc::write(fd.get_ref().0, frame.as_ptr().cast(), frame.len()) };
                if n < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
            });
            if let Ok(result) = res {
                return result;
            }
        }
    }
}
