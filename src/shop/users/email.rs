//! Email addresses of the users service: the shape accepted, the
//! normalised form (trimmed, ASCII lower-case), and [`Emails`], a batch
//! checked ahead of [`Users::register_many`].

#[cfg(doc)]
use super::Users;
use super::{MAX_EMAIL_LEN, UserError};

/// Emails checked and normalized for [`Users::register_many`]. Building
/// them needs no user base, so it can run while the rest of a shop is set
/// up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emails(pub(super) Vec<String>);

impl Emails {
    /// [`normalize_email`] of each of `emails`, or the first refusal.
    pub fn normalize(emails: Vec<String>) -> Result<Emails, UserError> {
        emails
            .into_iter()
            .map(normalize_owned)
            .collect::<Result<Vec<_>, _>>()
            .map(Emails)
    }
}

/// Trims and lower-cases `email`, then checks its shape: a local part of 1
/// to 64 bytes of letters, digits and ``!#$%&'*+/=?^_`{|}~-.`` (no dot
/// first, last or doubled), an `@`, and a domain of two or more dot-separated
/// labels of letters, digits and hyphens (no hyphen first or last).
pub fn normalize_email(email: &str) -> Result<String, UserError> {
    match valid_email(email) {
        Some(trimmed) => Ok(trimmed.to_ascii_lowercase()),
        None => Err(UserError::InvalidEmail {
            email: email.to_string(),
        }),
    }
}

/// [`normalize_email`] of an owned `email`, lower-cased in place when it
/// needs no trimming (no second allocation).
pub(super) fn normalize_owned(mut email: String) -> Result<String, UserError> {
    match valid_email(&email) {
        Some(trimmed) if trimmed.len() == email.len() => {
            email.make_ascii_lowercase();
            Ok(email)
        }
        Some(trimmed) => Ok(trimmed.to_ascii_lowercase()),
        None => Err(UserError::InvalidEmail { email }),
    }
}

/// `email` trimmed, if it has the shape [`normalize_email`] accepts.
fn valid_email(email: &str) -> Option<&str> {
    let trimmed = email.trim();
    let ok = (3..=MAX_EMAIL_LEN).contains(&trimmed.len())
        && trimmed.is_ascii()
        && trimmed.split_once('@').is_some_and(|(local, domain)| {
            local_ok(local.as_bytes()) && domain_ok(domain.as_bytes())
        });
    ok.then_some(trimmed)
}

/// The bytes allowed in an email's local part.
static LOCAL_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let special = b"!#$%&'*+/=?^_`{|}~-.";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};

/// One pass over an email's local part (a registration's hot path).
fn local_ok(local: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (local.first(), local.last()) else {
        return false;
    };
    let mut prev = 0u8;
    for &b in local {
        if !LOCAL_BYTES[usize::from(b)] || (b == b'.' && prev == b'.') {
            return false;
        }
        prev = b;
    }
    local.len() <= 64 && first != b'.' && last != b'.'
}

/// One pass over an email's domain.
fn domain_ok(domain: &[u8]) -> bool {
    let (mut label, mut prev, mut dots) = (0usize, 0u8, 0usize);
    for &b in domain {
        if b == b'.' {
            if label == 0 || prev == b'-' {
                return false;
            }
            dots += 1;
            label = 0;
        } else if b.is_ascii_alphanumeric() || (b == b'-' && label > 0) {
            label += 1;
        } else {
            return false;
        }
        prev = b;
    }
    dots > 0 && label > 0 && prev != b'-'
}
