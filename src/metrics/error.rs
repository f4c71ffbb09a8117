//! Kinds of failed requests, as counted in `errors.csv`.

/// Why a request failed. Names are stable report labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ErrorKind {
    /// A station's queue was full.
    Rejected,
    /// The request waited longer than the station's timeout.
    Timeout,
}

/// Number of error kinds.
pub const N_ERROR_KINDS: usize = 2;

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; N_ERROR_KINDS] = [ErrorKind::Rejected, ErrorKind::Timeout];

    /// The report label.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::Rejected => "rejected",
            ErrorKind::Timeout => "timeout",
        }
    }

    /// Dense index, `0..N_ERROR_KINDS`.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}
