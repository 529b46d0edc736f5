//! A session's attendance code: six digits that change every 30 seconds, from an HMAC of the
//! time window under the session's secret, so a photo of the screen sent to someone at home is
//! useless a minute later. A code scanned offline is checked against the window of the moment it
//! was scanned, with that moment put on the server's clock (the device says its own time when it
//! syncs, and the difference is taken as its clock's error).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long one code is shown.
pub const WINDOW_SECS: i64 = 30;
/// Windows before the current one whose code still counts (the time a learner takes to scan).
const GRACE_WINDOWS: i64 = 1;

/// The window a moment (Unix seconds) falls in.
pub fn window(at_secs: i64) -> i64 {
    at_secs.div_euclid(WINDOW_SECS)
}

/// The code of a window.
pub fn code(secret: &[u8], window: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&window.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000;
    format!("{n:06}")
}

/// Does `given` match the code of the window of `at_secs`, or of the one just before it?
/// Compared in constant time.
pub fn matches(secret: &[u8], given: &str, at_secs: i64) -> bool {
    let w = window(at_secs);
    (0..=GRACE_WINDOWS).fold(false, |found, back| {
        let expected = code(secret, w - back);
        found | bool::from(expected.as_bytes().ct_eq(given.trim().as_bytes()))
    })
}

/// The moment of an offline scan on the server's clock: the device's `scanned_at`, moved by how
/// far the device's clock (`device_now`, sent with the sync) is from the server's (`server_now`).
pub fn on_server_clock(scanned_at: i64, device_now: i64, server_now: i64) -> i64 {
    scanned_at + (server_now - device_now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a session's secret";

    #[test]
    fn the_code_changes_every_window_and_counts_one_window_late() {
        let t = 1_800_000_000;
        let now = code(SECRET, window(t));
        assert_eq!(now.len(), 6);
        assert!(now.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(now, code(SECRET, window(t) + 1));
        assert!(matches(SECRET, &now, t));
        assert!(
            matches(SECRET, &now, t + WINDOW_SECS),
            "scanned just after it changed"
        );
        assert!(
            !matches(SECRET, &now, t + 2 * WINDOW_SECS),
            "a minute later it is gone"
        );
        assert!(
            !matches(SECRET, &now, t - WINDOW_SECS),
            "not before it was shown"
        );
        assert!(!matches(b"another session", &now, t));
    }

    #[test]
    fn an_offline_scan_is_put_on_the_servers_clock() {
        // The device runs 10 minutes slow: its 09:00 was the server's 09:10.
        assert_eq!(
            on_server_clock(9 * 3600, 10 * 3600, 10 * 3600 + 600),
            9 * 3600 + 600
        );
    }
}
