//! Dropping root once the privileged steps are done (TAP attached, UDP socket bound, key read):
//! supplementary groups cleared, then gid, then uid; no way back (no new privileges either).
pub fn drop_to(uid: Option<u32>, gid: Option<u32>) -> Result<(), String> {
    let uid = match uid {
        Some(u) => u,
        None => return Ok(()),
    };
    let gid = gid.unwrap_or(uid);
    let os = |what: &str| format!("cannot {what}: {}", std::io::Error::last_os_error());
    unsafe {
        if libc::setgroups(0, std::ptr::null()) != 0 {
            return Err(os("clear supplementary groups"));
        }
        if libc::setgid(gid) != 0 {
            return Err(os(&format!("switch to gid {gid}")));
        }
        if libc::setuid(uid) != 0 {
            return Err(os(&format!("switch to uid {uid}")));
        }
        if libc::setuid(0) == 0 {
            return Err("still able to become root after dropping privileges".into());
        }
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }
    Ok(())
}
