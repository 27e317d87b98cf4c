//! Each peer's link state (up/down since when, last error) for events, `{"op":"status"}` and
//! the status file the engine reads after it detached (`nova net ls`: Active / Degraded / Down).
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone)]
pub struct PeerState {
    pub up: bool,
    pub since: u64,
    pub error: Option<String>,
    pub remote: Option<String>,
    pub max_datagram: Option<usize>,
}

#[derive(Default)]
pub struct Counters {
    pub tx_frames: AtomicU64,
    pub tx_bytes: AtomicU64,
    pub rx_frames: AtomicU64,
    pub rx_bytes: AtomicU64,
    pub dropped: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn json(&self) -> Value {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        json!({ "tx_frames": g(&self.tx_frames), "tx_bytes": g(&self.tx_bytes), "rx_frames": g(&self.rx_frames),
                "rx_bytes": g(&self.rx_bytes), "dropped": g(&self.dropped) })
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub struct Status {
    pub name: String,
    pub dir: Option<StatusDir>,
    pub peers: Mutex<BTreeMap<String, PeerState>>,
    pub counters: Counters,
}

fn peer_json(name: &str, p: &PeerState) -> Value {
    json!({ "peer": name, "state": if p.up { "up" } else { "down" }, "since": p.since, "error": p.error,
            "remote": p.remote, "max_datagram": p.max_datagram })
}

impl Status {
    /// Records a change and returns the peer's event; the status file follows.
    pub fn set(&self, peer: &str, up: bool, error: Option<String>, remote: Option<String>, max_datagram: Option<usize>) -> Value {
        let mut peers = self.peers.lock().unwrap();
        let old = peers.get(peer).cloned();
        let since = match &old {
            Some(o) if o.up == up => o.since,
            _ => now(),
        };
        let state = PeerState { up, since, error, remote, max_datagram };
        let mut event = peer_json(peer, &state);
        event["event"] = json!("peer");
        peers.insert(peer.to_string(), state);
        drop(peers);
        self.write_file();
        event
    }

    pub fn forget(&self, peer: &str) {
        self.peers.lock().unwrap().remove(peer);
        self.write_file();
    }

    pub fn snapshot(&self) -> Value {
        let peers: Vec<Value> = self.peers.lock().unwrap().iter().map(|(n, p)| peer_json(n, p)).collect();
        json!({ "event": "status", "name": self.name, "pid": std::process::id(), "updated": now(),
                "peers": peers, "counters": self.counters.json() })
    }

    /// Atomic replace (write beside, rename), so a reader never sees half a file. Relative to the
    /// folder opened at start: the tunnel may no longer be able to walk the path to it.
    fn write_file(&self) {
        let dir = match &self.dir {
            Some(d) => d,
            None => return,
        };
        let text = format!("{}\n", self.snapshot());
        let (tmp, name) = (cstr(&format!("{}.tmp", dir.name)), cstr(&dir.name));
        unsafe {
            let fd = libc::openat(dir.fd, tmp.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC, 0o644);
            if fd < 0 {
                return;
            }
            let ok = libc::write(fd, text.as_ptr().cast(), text.len()) == text.len() as isize;
            libc::close(fd);
            if ok {
                libc::renameat(dir.fd, tmp.as_ptr(), dir.fd, name.as_ptr());
            }
        }
    }
}

fn cstr(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap_or_default()
}

/// The status file's folder, held open, and the file's name in it.
pub struct StatusDir {
    fd: libc::c_int,
    name: String,
}

impl StatusDir {
    pub fn open(path: &str) -> Result<StatusDir, String> {
        let p = std::path::Path::new(path);
        let name = p.file_name().and_then(|n| n.to_str()).ok_or_else(|| format!("{path} has no file name"))?.to_string();
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or_else(|| std::path::Path::new("."));
        let c = cstr(parent.to_str().unwrap_or("."));
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(format!("{}: {}", parent.display(), std::io::Error::last_os_error()));
        }
        Ok(StatusDir { fd, name })
    }
}
