//! Users: registration, authentication, sessions and roles.
//!
//! Guarantees:
//! - emails are normalised (trimmed, ASCII lower-case) and unique: two
//!   concurrent registrations of the same email cannot both succeed, because
//!   the uniqueness check and the insert happen under the same map entry;
//! - passwords are stored only as a PBKDF2-HMAC-SHA256 hash with a per-user
//!   salt. The salt is derived from the shop-wide salt seed and the email (no
//!   OS randomness, so runs are reproducible) and the iteration count comes
//!   from the config: simulations use a handful of iterations so a login costs
//!   microseconds, a real deployment would use hundreds of thousands;
//! - sessions expire `session_ttl` after login, judged by the `now` the caller
//!   passes; tokens are a bijective mix of a counter and the seed, hence unique;
//! - admin-only operations go through [`Users::require_admin`], which refuses
//!   customers with [`UserError::NotAdmin`] (kind `unauthorized`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::dense::DenseTable;
use super::ids::{FxDashMap, Nanos, Token, UserId, mix64, new_map};

/// Longest accepted email, in bytes (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Shortest accepted password, in bytes.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted password, in bytes (bounds the hashing work per call).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Browses, fills a cart, checks out.
    Customer,
    /// Manages the catalog, stock, coupons and orders.
    Admin,
}

/// An authenticated session, returned by login and by token checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The token to present on later calls.
    pub token: Token,
    /// Who logged in.
    pub user: UserId,
    /// Their role.
    pub role: Role,
    /// The session is refused at or after this time.
    pub expires_at: Nanos,
}

/// Errors of the users service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The email is not a plausible address.
    #[error("invalid email {email:?}: expected one '@', a local part and a dotted domain")]
    InvalidEmail {
        /// The email as given.
        email: String,
    },
    /// The password length is outside the accepted range.
    #[error(
        "password must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} bytes long, got {len} bytes"
    )]
    InvalidPassword {
        /// Its length in bytes.
        len: usize,
    },
    /// Another user registered this email first.
    #[error("email {email:?} is already registered: log in instead")]
    EmailTaken {
        /// The normalised email.
        email: String,
    },
    /// Unknown email or wrong password (deliberately not saying which).
    #[error("wrong email or password")]
    BadCredentials,
    /// The token is unknown, logged out or expired.
    #[error("session is unknown or expired: log in again")]
    InvalidSession,
    /// A customer tried an admin-only operation.
    #[error("user {user} is not an admin: this operation needs the admin role")]
    NotAdmin {
        /// The refused user.
        user: UserId,
    },
    /// No user has this id.
    #[error("unknown user {user}: register first")]
    UnknownUser {
        /// The id asked for.
        user: UserId,
    },
}

impl UserError {
    /// The stable snake_case label used in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidEmail { .. } | Self::InvalidPassword { .. } => "invalid_input",
            Self::EmailTaken { .. } => "email_taken",
            Self::BadCredentials => "bad_credentials",
            Self::InvalidSession | Self::NotAdmin { .. } => "unauthorized",
            Self::UnknownUser { .. } => "not_found",
        }
    }
}

#[derive(Debug)]
struct User {
    role: Role,
    salt: [u8; 16],
    hash: [u8; 32],
}

/// The users service. `Send + Sync`; every map is sharded.
#[derive(Debug)]
pub struct Users {
    by_id: DenseTable<User>,
    by_email: FxDashMap<Box<str>, UserId>,
    sessions: FxDashMap<Token, Session>,
    next_id: AtomicU32,
    next_token: AtomicU64,
    iterations: u32,
    salt_seed: u64,
    session_ttl: Nanos,
    registrations: AtomicU64,
    logins: AtomicU64,
    login_failures: AtomicU64,
}

impl Users {
    /// An empty user base. `iterations` is the PBKDF2 cost (at least 1).
    pub fn new(iterations: u32, salt_seed: u64, session_ttl: Nanos) -> Self {
        Self {
            by_id: DenseTable::default(),
            by_email: new_map(),
            sessions: new_map(),
            next_id: AtomicU32::new(0),
            next_token: AtomicU64::new(0),
            iterations: iterations.max(1),
            salt_seed,
            session_ttl,
            registrations: AtomicU64::new(0),
            logins: AtomicU64::new(0),
            login_failures: AtomicU64::new(0),
        }
    }

    /// Registers a user and returns its id.
    pub fn register(&self, email: &str, password: &str, role: Role) -> Result<UserId, UserError> {
        let email = normalize_email(email)?;
        check_password(password)?;
        // Hash before taking the email entry so the shard lock is held briefly.
        let salt = self.salt_for(&email);
        let hash = self.hash(password, &salt);
        self.insert(email, salt, hash, role)
    }

    /// Registers `emails` in order, all with `password` and `role`: the
    /// same users and ids as registering them one by one, but their
    /// passwords are hashed first, on up to `threads` threads (a shop's
    /// thousands of pre-registered customers are most of its setup).
    /// Stops at the first refusal; every email is checked before any is
    /// registered, so only a duplicate leaves earlier ones registered.
    pub fn register_many(
        &self,
        emails: &[String],
        password: &str,
        role: Role,
        threads: usize,
    ) -> Result<Vec<UserId>, UserError> {
        check_password(password)?;
        let emails = emails
            .iter()
            .map(|e| normalize_email(e))
            .collect::<Result<Vec<_>, _>>()?;
        let mut hashed = vec![([0u8; 16], [0u8; 32]); emails.len()];
        let hash_all = |emails: &[String], out: &mut [([u8; 16], [u8; 32])]| {
            for (email, o) in emails.iter().zip(out) {
                let salt = self.salt_for(email);
                *o = (salt, self.hash(password, &salt));
            }
        };
        // Parts of at least 1024 accounts: a thread costs tens of µs.
        let part = emails.len().div_ceil(threads.max(1)).max(1024);
        std::thread::scope(|scope| {
            let mut parts = emails.chunks(part).zip(hashed.chunks_mut(part));
            let first = parts.next();
            for (emails, out) in parts {
                // A thread that cannot start leaves its part to this one.
                let spawned = std::thread::Builder::new()
                    .spawn_scoped(scope, move || hash_all(emails, out))
                    .is_ok();
                if !spawned {
                    return Err(());
                }
            }
            if let Some((emails, out)) = first {
                hash_all(emails, out);
            }
            Ok(())
        })
        .unwrap_or_else(|()| hash_all(&emails, &mut hashed));
        emails
            .into_iter()
            .zip(hashed)
            .map(|(email, (salt, hash))| self.insert(email, salt, hash, role))
            .collect()
    }

    /// Registers normalized `email` with its salt and hash.
    fn insert(
        &self,
        email: String,
        salt: [u8; 16],
        hash: [u8; 32],
        role: Role,
    ) -> Result<UserId, UserError> {
        match self.by_email.entry(email.into_boxed_str()) {
            dashmap::Entry::Occupied(e) => Err(UserError::EmailTaken {
                email: e.key().to_string(),
            }),
            dashmap::Entry::Vacant(e) => {
                let id = UserId(self.next_id.fetch_add(1, Ordering::Relaxed));
                self.by_id
                    .insert(u64::from(id.0), User { role, salt, hash });
                e.insert(id);
                self.registrations.fetch_add(1, Ordering::Relaxed);
                Ok(id)
            }
        }
    }

    /// Checks the password and opens a session valid until `now + session_ttl`.
    pub fn login(&self, email: &str, password: &str, now: Nanos) -> Result<Session, UserError> {
        let result = self.verify(email, password).map(|(user, role)| {
            let n = self.next_token.fetch_add(1, Ordering::Relaxed);
            let token = Token(mix64(n.wrapping_add(mix64(self.salt_seed))));
            let session = Session {
                token,
                user,
                role,
                expires_at: now.saturating_add(self.session_ttl),
            };
            self.sessions.insert(token, session);
            session
        });
        let counter = if result.is_ok() {
            &self.logins
        } else {
            &self.login_failures
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    fn verify(&self, email: &str, password: &str) -> Result<(UserId, Role), UserError> {
        let email = normalize_email(email).map_err(|_| UserError::BadCredentials)?;
        let id = self
            .by_email
            .get(email.as_str())
            .map(|r| *r)
            .ok_or(UserError::BadCredentials)?;
        let (salt, stored, role) = self
            .by_id
            .read(u64::from(id.0), |user| (user.salt, user.hash, user.role))
            .ok_or(UserError::BadCredentials)?;
        if password.len() > MAX_PASSWORD_LEN {
            return Err(UserError::BadCredentials);
        }
        let computed = self.hash(password, &salt);
        // Constant-time comparison: fold the differences, then test once.
        let diff = computed
            .iter()
            .zip(stored.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 {
            Ok((id, role))
        } else {
            Err(UserError::BadCredentials)
        }
    }

    /// Ends a session; returns whether it existed.
    pub fn logout(&self, token: Token) -> bool {
        self.sessions.remove(&token).is_some()
    }

    /// The live session behind `token`; expired sessions are removed.
    pub fn authenticate(&self, token: Token, now: Nanos) -> Result<Session, UserError> {
        let session = self
            .sessions
            .get(&token)
            .map(|s| *s)
            .ok_or(UserError::InvalidSession)?;
        if now >= session.expires_at {
            self.sessions.remove(&token);
            return Err(UserError::InvalidSession);
        }
        Ok(session)
    }

    /// The admin behind `token`, or `unauthorized`.
    pub fn require_admin(&self, token: Token, now: Nanos) -> Result<UserId, UserError> {
        let session = self.authenticate(token, now)?;
        match session.role {
            Role::Admin => Ok(session.user),
            Role::Customer => Err(UserError::NotAdmin { user: session.user }),
        }
    }

    /// Fails with `not_found` unless `user` is registered. Allocation-free.
    pub fn require_user(&self, user: UserId) -> Result<(), UserError> {
        if self.by_id.read(u64::from(user.0), |_| ()).is_some() {
            Ok(())
        } else {
            Err(UserError::UnknownUser { user })
        }
    }

    /// The role of a registered user.
    pub fn role(&self, user: UserId) -> Option<Role> {
        self.by_id.read(u64::from(user.0), |u| u.role)
    }

    /// Drops every session expired at `now`; returns how many.
    pub fn purge_sessions(&self, now: Nanos) -> usize {
        let before = self.sessions.len();
        self.sessions.retain(|_, s| now < s.expires_at);
        before.saturating_sub(self.sessions.len())
    }

    /// Number of registered users.
    pub fn count(&self) -> u64 {
        u64::from(self.next_id.load(Ordering::Relaxed))
    }

    /// Successful registrations, logins and failed logins so far.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.registrations.load(Ordering::Relaxed),
            self.logins.load(Ordering::Relaxed),
            self.login_failures.load(Ordering::Relaxed),
        )
    }

    fn salt_for(&self, email: &str) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(b"ecsim-salt-v1")
            .chain_update(self.salt_seed.to_le_bytes())
            .chain_update(email.as_bytes())
            .finalize();
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&digest[..16]);
        salt
    }

    fn hash(&self, password: &str, salt: &[u8; 16]) -> [u8; 32] {
        pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), salt, self.iterations)
    }
}

/// Trims and lower-cases `email`, then checks its shape.
pub fn normalize_email(email: &str) -> Result<String, UserError> {
    let trimmed = email.trim();
    let invalid = || UserError::InvalidEmail {
        email: email.to_string(),
    };
    if trimmed.len() < 3 || trimmed.len() > MAX_EMAIL_LEN || !trimmed.is_ascii() {
        return Err(invalid());
    }
    let (local, domain) = trimmed.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-.".contains(&b));
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if local_ok && domain_ok {
        Ok(trimmed.to_ascii_lowercase())
    } else {
        Err(invalid())
    }
}

fn check_password(password: &str) -> Result<(), UserError> {
    let len = password.len();
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
        Ok(())
    } else {
        Err(UserError::InvalidPassword { len })
    }
}

#[cfg(test)]
mod tests;
