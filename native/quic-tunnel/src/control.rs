//! The engine's side channel: commands as JSON lines on stdin, events as JSON lines on stdout.
//! Events: {"event":"ready",…} once listening, {"event":"peer","peer":…,"state":"up"|"down",…}
//! on every change, {"event":"status",…} when asked, {"event":"error","field":…,"message":…}.
//! Commands: {"op":"peers","peers":[…]} replaces the peer set, {"op":"status"}, {"op":"stop"}.
use crate::config::Peer;
use serde::Deserialize;
use serde_json::Value;
use std::io::Write;

/// Writes one event line. A closed stdout (the engine detached) is not an error.
pub fn emit(event: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{event}");
    let _ = out.flush();
}

pub fn emit_error(field: &str, message: &str) {
    emit(serde_json::json!({ "event": "error", "field": field, "message": message }));
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Command {
    Peers { peers: Vec<Peer> },
    Status,
    Stop,
}

pub fn parse(line: &str) -> Result<Command, String> {
    serde_json::from_str(line).map_err(|e| format!("{e}: expected {{\"op\":\"peers\"|\"status\"|\"stop\"}}"))
}
