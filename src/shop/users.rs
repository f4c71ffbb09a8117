//! Users: registration, authentication, sessions and roles.
//!
//! Guarantees:
//! - emails are normalised (trimmed, ASCII lower-case) and unique: two
//!   concurrent registrations of the same email cannot both succeed, because
//!   the uniqueness check and the insert happen under the same map entry;
//! - passwords are stored as a PBKDF2-HMAC-SHA256 hash with a per-user
//!   salt. The salt is derived from the shop-wide salt seed and the email (no
//!   OS randomness, so runs are reproducible) and the iteration count comes
//!   from the config: simulations use a handful of iterations so a login costs
//!   microseconds, a real deployment would use hundreds of thousands;
//! - customers registered in bulk ([`Users::register_many`], a shop's
//!   existing customer base, all with one password) are hashed on their
//!   first login instead of at registration, like accounts imported from
//!   another system: the shared password is kept until then, and the first
//!   login stores the same salt and hash that registering one by one would
//!   have. A login answers the same either way; only the setup is cheaper
//!   (thousands of hashes for customers who may never log in);
//! - sessions expire `session_ttl` after login, judged by the `now` the caller
//!   passes; tokens are a bijective mix of a counter and the seed, hence unique;
//! - admin-only operations go through [`Users::require_admin`], which refuses
//!   customers with [`UserError::NotAdmin`] (kind `unauthorized`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use sha2::{Digest, Sha256};

use super::dense::DenseTable;

mod email;
use super::ids::{FxDashMap, Nanos, Token, UserId, mix64, new_map};
pub use email::{Emails, normalize_email};

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
    credential: Credential,
}

/// How a user's password is kept.
#[derive(Clone, Copy, Debug)]
enum Credential {
    /// The salt and PBKDF2 hash.
    Hashed { salt: [u8; 16], hash: [u8; 32] },
    /// Registered in bulk with `Users::bulk_passwords[k]`, not yet hashed.
    Bulk(u32),
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
    /// The shared passwords of bulk registrations ([`Credential::Bulk`]).
    bulk_passwords: RwLock<Vec<Box<str>>>,
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
            bulk_passwords: RwLock::default(),
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
        self.insert(email, Credential::Hashed { salt, hash }, role)
    }

    /// Registers `emails` in order, all with `password` and `role`: the
    /// same users and ids as registering them one by one, but each password
    /// is hashed on the user's first login (see the module docs): a shop's
    /// thousands of pre-registered customers were most of its setup.
    /// Stops at the first refusal; every email was checked (by
    /// [`Emails::normalize`]) before any is registered, so only a duplicate
    /// leaves earlier ones registered.
    pub fn register_many(
        &self,
        emails: Emails,
        password: &str,
        role: Role,
    ) -> Result<Vec<UserId>, UserError> {
        check_password(password)?;
        let k = {
            let mut bulk = self
                .bulk_passwords
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            bulk.push(password.into());
            // More than 2³² bulk registrations would first run out of memory.
            u32::try_from(bulk.len() - 1).unwrap_or(u32::MAX)
        };
        emails
            .0
            .into_iter()
            .map(|email| self.insert(email, Credential::Bulk(k), role))
            .collect()
    }

    /// Registers normalized `email` with its credential.
    fn insert(
        &self,
        email: String,
        credential: Credential,
        role: Role,
    ) -> Result<UserId, UserError> {
        match self.by_email.entry(email.into_boxed_str()) {
            dashmap::Entry::Occupied(e) => Err(UserError::EmailTaken {
                email: e.key().to_string(),
            }),
            dashmap::Entry::Vacant(e) => {
                let id = UserId(self.next_id.fetch_add(1, Ordering::Relaxed));
                self.by_id
                    .insert(u64::from(id.0), User { role, credential });
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
        let (credential, role) = self
            .by_id
            .read(u64::from(id.0), |user| (user.credential, user.role))
            .ok_or(UserError::BadCredentials)?;
        if password.len() > MAX_PASSWORD_LEN {
            return Err(UserError::BadCredentials);
        }
        let (computed, stored) = match credential {
            Credential::Hashed { salt, hash } => (self.hash(password, &salt), hash),
            Credential::Bulk(k) => {
                let (salt, computed, hash) = self.first_hash(&email, password, k);
                let hashed = Credential::Hashed { salt, hash };
                self.by_id
                    .write(u64::from(id.0), |user| user.credential = hashed);
                (computed, hash)
            }
        };
        if same_bytes(&computed, &stored) {
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

    /// The salt of bulk-registered `email` (normalized), the hash of the
    /// `password` given at its first login, and the hash of its bulk
    /// password `k`: one PBKDF2 run when the two passwords are equal.
    fn first_hash(&self, email: &str, password: &str, k: u32) -> ([u8; 16], [u8; 32], [u8; 32]) {
        let salt = self.salt_for(email);
        let computed = self.hash(password, &salt);
        let bulk = self
            .bulk_passwords
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let kept = bulk.get(k as usize).map_or("", |p| &**p);
        let hash = if same_bytes(kept.as_bytes(), password.as_bytes()) {
            computed
        } else {
            self.hash(kept, &salt)
        };
        (salt, computed, hash)
    }

    fn hash(&self, password: &str, salt: &[u8; 16]) -> [u8; 32] {
        pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), salt, self.iterations)
    }
}

/// Whether `a` and `b` are equal, in time that depends on their lengths
/// only (differences are folded, then tested once).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
