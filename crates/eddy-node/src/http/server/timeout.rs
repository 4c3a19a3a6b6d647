//! A connection's timeouts (Node's `headersTimeout` and
//! `keepAliveTimeout`) on one unref'd timer.
//!
//! The deadline that applies is computed from the connection's state:
//! the headers timeout while a head is awaited (from the connection, or
//! the first byte of the next request), the keep-alive timeout while idle
//! after a response, none while a request is in progress. The timer is
//! re-armed only when that deadline is earlier than the one it is armed
//! for; firing early, it re-arms for the rest. So a request costs no timer
//! operation.

use std::cell::RefCell;
use std::rc::Rc;

use super::conn::{Conn, ReadState, end_idle, reject};
use crate::timers;

/// What the timer watches now: the deadline and whether it is the headers
/// timeout (else the keep-alive one); `None` while a request is in
/// progress.
fn deadline(c: &Conn) -> Option<(u64, bool)> {
    if c.closed || !matches!(c.read, ReadState::Head) || !c.res.ended {
        return None;
    }
    match c.head_since {
        Some(since) => {
            let ms = c.shared.headers_ms.get();
            (ms > 0).then_some((since.saturating_add(ms), true))
        }
        None => {
            let ms = c.shared.keep_alive_ms.get();
            (ms > 0).then_some((c.idle_since.saturating_add(ms), false))
        }
    }
}

/// Arms the connection's timer if the deadline that applies now is
/// earlier than the one it is armed for.
pub(super) fn arm_timer(conn: &Rc<RefCell<Conn>>) {
    let (deadline, timer) = {
        let c = conn.borrow();
        let Some((deadline, _)) = deadline(&c) else {
            return;
        };
        if c.armed_until.is_some_and(|armed| armed <= deadline) {
            return;
        }
        (deadline, c.timer)
    };
    let timer = timer.unwrap_or_else(|| {
        let weak = Rc::downgrade(conn);
        let timer = timers::set_timeout(
            timers::TIMEOUT_MAX,
            timers::refreshable(move || {
                if let Some(conn) = weak.upgrade() {
                    on_timer(&conn);
                }
            }),
        );
        timer.unref();
        conn.borrow_mut().timer = Some(timer);
        timer
    });
    timers::arm_at(&timer, deadline);
    conn.borrow_mut().armed_until = Some(deadline);
}

/// The timer fired: end the connection if its deadline passed, else
/// re-arm for what applies now.
fn on_timer(conn: &Rc<RefCell<Conn>>) {
    let expired = {
        let mut c = conn.borrow_mut();
        c.armed_until = None;
        match deadline(&c) {
            Some((at, headers)) if at <= timers::loop_now() => Some(headers),
            _ => None,
        }
    };
    match expired {
        Some(true) => reject(conn, 408),
        Some(false) => end_idle(conn),
        None => arm_timer(conn),
    }
}
