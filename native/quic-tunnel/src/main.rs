//! nova-quic-tunnel: carries one TAP device's Ethernet frames in QUIC DATAGRAM frames (RFC 9221)
//! to the other hosts of a Nova overlay (`driver = "quic"`), with mutual TLS under the overlay's
//! CA and pinned peer certificates. Started and supervised by the engine
//! (src/core/network/quic/), which creates the TAP, puts it on the switch's bridge and sets its
//! MTU from the "ready" event: this process does no ip/bridge work.
//! stdin: the configuration (first line), then commands; stdout: events (see control.rs).
mod config;
mod control;
mod frames;
mod links;
mod mesh;
mod privs;
mod status;
mod tap;
mod tls;

use config::Config;
use control::{emit, emit_error, Command};
use serde_json::json;
use std::process::exit;
use tokio::io::{AsyncBufReadExt, BufReader};

fn fail(field: &str, message: String, code: i32) -> ! {
    emit_error(field, &message);
    exit(code)
}

fn identity(c: &Config) -> tls::Identity {
    let ca = tls::load_certs(&c.ca).unwrap_or_else(|e| fail("ca", e, 2));
    let certs = tls::load_certs(&c.cert).unwrap_or_else(|e| fail("cert", e, 2));
    let key = tls::load_key(&c.key).unwrap_or_else(|e| fail("key", e, 2));
    tls::Identity { ca, certs, key }
}

async fn run() {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines.next_line().await.ok().flatten().unwrap_or_default();
    let cfg = Config::parse(&first).unwrap_or_else(|e| fail(&e.field, e.message, 2));
    let id = identity(&cfg);
    let pins = tls::Pins::default();
    let ep = links::endpoint(&cfg, &id, &pins).unwrap_or_else(|e| fail("listen", e, 3));
    let tap = tap::Tap::open(&cfg.tap).unwrap_or_else(|e| fail("tap", e.to_string(), 3));
    let dir = cfg.status_file.as_deref().map(|f| status::StatusDir::open(f).unwrap_or_else(|e| fail("status_file", e, 2)));
    privs::drop_to(cfg.run_as_uid, cfg.run_as_gid).unwrap_or_else(|e| fail("run_as_uid", e, 3));
    let st = status::Status { name: cfg.name.clone(), dir, peers: Default::default(), counters: Default::default() };
    let mesh = mesh::Mesh::new(tap, st);
    let mut peers = links::PeerSet::new(&cfg.name, ep.clone(), mesh.clone(), pins.clone());
    peers.apply(&cfg.peers);
    tokio::spawn(links::accept_loop(ep.clone(), mesh.clone(), pins));
    let pump = tokio::spawn(mesh.clone().pump_tap());
    let max_udp = cfg.max_udp_payload();
    emit(json!({
        "event": "ready", "pid": std::process::id(), "name": cfg.name, "tap": cfg.tap,
        "listen": ep.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        "max_udp_payload": max_udp, "tap_mtu": max_udp - links::QUIC_OVERHEAD - 14 - frames::TAG,
        "fingerprint": tls::fingerprint(&id.certs[0].0),
    }));
    tokio::select! {
        r = pump => fail("tap", format!("the TAP {} failed: {}", cfg.tap, r.map(|e| e.err().map(|e| e.to_string()).unwrap_or_default()).unwrap_or_default()), 4),
        _ = control_loop(&mut lines, &mut peers, &mesh, cfg.detach) => {}
    }
    ep.close(0u32.into(), b"stopped");
    ep.wait_idle().await;
}

async fn control_loop(lines: &mut tokio::io::Lines<BufReader<tokio::io::Stdin>>, peers: &mut links::PeerSet, mesh: &mesh::Mesh, detach: bool) {
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            _ if detach => return std::future::pending().await,
            _ => return,
        };
        if line.trim().is_empty() {
            continue;
        }
        match control::parse(&line) {
            Ok(Command::Peers { peers: list }) => match config::check_peers(&list, &mesh.status.name) {
                Ok(()) => peers.apply(&list),
                Err(e) => emit_error(&e.field, &e.message),
            },
            Ok(Command::Status) => emit(mesh.snapshot()),
            Ok(Command::Stop) => return,
            Err(e) => emit_error("command", &e),
        }
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("nova-quic-tunnel {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    // Two workers: the TAP reader and quinn's drivers on one, the peers' datagrams → TAP on the other.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    rt.block_on(run());
}
