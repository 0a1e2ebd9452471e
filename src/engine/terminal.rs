//! msctl's own terminal in raw mode while `exec` runs a command with a TTY: keys go to
//! the command as typed (Ctrl-C included), and the terminal is restored afterwards.

use std::io::IsTerminal;

use rustix::termios::{self, OptionalActions, Termios};

/// Raw mode on standard input for as long as this lives.
pub(crate) struct RawTerminal {
    saved: Termios,
}

impl RawTerminal {
    /// Puts standard input in raw mode; `None` when it is not a terminal or refuses.
    pub(crate) fn enter() -> Option<RawTerminal> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let saved = termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw).ok()?;
        Some(RawTerminal { saved })
    }
}

/// The size of the terminal on standard input as (columns, rows), when it can be read.
pub(crate) fn size() -> Option<(u16, u16)> {
    let size = termios::tcgetwinsize(std::io::stdin()).ok()?;
    (size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col, size.ws_row))
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
    }
}
