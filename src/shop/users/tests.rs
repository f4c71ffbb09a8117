//! Tests of the users service: registration, login, sessions and roles.

use super::email::normalize_owned;
use super::*;

fn users() -> Users {
    Users::new(2, 42, 1_000)
}

#[test]
fn register_then_login_and_authenticate() {
    let u = users();
    let id = u
        .register("Ada@Example.com ", "correct horse", Role::Customer)
        .unwrap();
    let s = u.login("ada@example.com", "correct horse", 10).unwrap();
    assert_eq!((s.user, s.role, s.expires_at), (id, Role::Customer, 1_010));
    assert_eq!(u.authenticate(s.token, 500).unwrap(), s);
    assert_eq!(u.counters(), (1, 1, 0));
}

/// The stored salt and hash of `id`, once hashed.
fn hashed(u: &Users, id: u64) -> Option<([u8; 16], [u8; 32])> {
    match u.by_id.read(id, |u| u.credential).unwrap() {
        Credential::Hashed { salt, hash } => Some((salt, hash)),
        Credential::Bulk(_) => None,
    }
}

#[test]
fn registering_many_gives_the_users_of_registering_one_by_one() {
    let emails: Vec<String> = (0..2500).map(|i| format!("C{i}@Shop.example")).collect();
    let one_by_one = users();
    let ids: Vec<UserId> = emails
        .iter()
        .map(|e| one_by_one.register(e, "correct horse", Role::Customer))
        .collect::<Result<_, _>>()
        .unwrap();
    let many = users();
    assert_eq!(
        many.register_many(
            Emails::normalize(emails.clone()).unwrap(),
            "correct horse",
            Role::Customer
        ),
        Ok(ids.clone())
    );
    assert_eq!(hashed(&many, 2499), None, "hashed on first login only");
    assert!(many.login("c2499@shop.example", "correct horse", 0).is_ok());
    // A wrong password at the first login fails, and still stores the hash
    // of the right one.
    assert_eq!(
        many.login("c1024@shop.example", "wrong horse", 0),
        Err(UserError::BadCredentials)
    );
    for id in [1024, 2499] {
        assert_eq!(hashed(&many, id), hashed(&one_by_one, id), "user {id}");
        assert!(hashed(&many, id).is_some());
    }
    assert!(many.login("c1024@shop.example", "correct horse", 0).is_ok());
    assert_eq!(
        many.login("c2499@shop.example", "wrong horse", 0),
        Err(UserError::BadCredentials)
    );
    assert_eq!(many.counters(), (2500, 2, 2));
    // A second batch keeps its own password.
    let more = ["late@shop.example".to_owned()];
    let late = many
        .register_many(
            Emails::normalize(more.to_vec()).unwrap(),
            "other horse",
            Role::Customer,
        )
        .unwrap();
    assert_eq!(late, vec![UserId(2500)]);
    assert!(many.login("late@shop.example", "correct horse", 0).is_err());
    assert!(many.login("late@shop.example", "other horse", 0).is_ok());
    assert!(many.login("c0@shop.example", "other horse", 0).is_err());

    let u = users();
    let dup = ["a@x.com", "b@x.com", "A@x.com"].map(String::from);
    assert_eq!(
        u.register_many(
            Emails::normalize(dup.to_vec()).unwrap(),
            "correct horse",
            Role::Customer
        ),
        Err(UserError::EmailTaken {
            email: "a@x.com".into()
        })
    );
    let bad = ["c@x.com", "not an email"].map(String::from);
    assert!(matches!(
        Emails::normalize(bad.to_vec()),
        Err(UserError::InvalidEmail { .. })
    ));
    assert_eq!(u.count(), 2, "only the emails before the duplicate");
}

#[test]
fn rejects_bad_emails_and_passwords() {
    let u = users();
    for bad in [
        "",
        "a@b",
        "no-at.example.com",
        "a@@b.com",
        "a@b..com",
        ".a@b.com",
        "a@-b.com",
        "é@x.fr",
    ] {
        let err = u.register(bad, "long enough", Role::Customer).unwrap_err();
        assert_eq!(err.kind(), "invalid_input", "{bad:?}");
    }
    let err = u.register("a@b.com", "short", Role::Customer).unwrap_err();
    assert_eq!(err, UserError::InvalidPassword { len: 5 });
    assert_eq!(u.count(), 0);
}

#[test]
fn emails_are_unique_after_normalisation() {
    let u = users();
    u.register("bob@shop.io", "password1", Role::Customer)
        .unwrap();
    let err = u
        .register(" BOB@shop.io", "password2", Role::Customer)
        .unwrap_err();
    assert_eq!(err.kind(), "email_taken");
    assert!(err.to_string().contains("log in instead"));
}

#[test]
fn wrong_password_and_unknown_email_look_the_same() {
    let u = users();
    u.register("c@d.org", "password1", Role::Customer).unwrap();
    assert_eq!(
        u.login("c@d.org", "password2", 0),
        Err(UserError::BadCredentials)
    );
    assert_eq!(
        u.login("x@d.org", "password1", 0),
        Err(UserError::BadCredentials)
    );
    assert_eq!(u.counters(), (1, 0, 2));
}

#[test]
fn hashes_are_salted_per_user_and_deterministic() {
    let a = users();
    let b = users();
    let ia = a
        .register("same@pw.com", "password1", Role::Customer)
        .unwrap();
    let ja = a
        .register("other@pw.com", "password1", Role::Customer)
        .unwrap();
    let ib = b
        .register("same@pw.com", "password1", Role::Customer)
        .unwrap();
    let hash = |u: &Users, id: UserId| hashed(u, u64::from(id.0)).unwrap().1;
    let ha = hash(&a, ia);
    assert_ne!(ha, hash(&a, ja), "same password, different salt");
    assert_eq!(ha, hash(&b, ib), "same seed and email, same hash");
    assert_ne!(
        Users::new(2, 43, 1).hash("password1", &[0; 16]),
        Users::new(3, 43, 1).hash("password1", &[0; 16])
    );
}

#[test]
fn sessions_expire_and_log_out() {
    let u = users();
    u.register("e@f.net", "password1", Role::Customer).unwrap();
    let s = u.login("e@f.net", "password1", 0).unwrap();
    assert_eq!(
        u.authenticate(s.token, 1_000),
        Err(UserError::InvalidSession)
    );
    let s2 = u.login("e@f.net", "password1", 0).unwrap();
    assert_ne!(s.token, s2.token);
    assert!(u.logout(s2.token));
    assert_eq!(
        u.authenticate(s2.token, 1).unwrap_err().kind(),
        "unauthorized"
    );
    let _s3 = u.login("e@f.net", "password1", 0).unwrap();
    assert_eq!(u.purge_sessions(5_000), 1);
}

#[test]
fn admin_check_refuses_customers() {
    let u = users();
    u.register("admin@shop.io", "password1", Role::Admin)
        .unwrap();
    let c = u
        .register("cust@shop.io", "password1", Role::Customer)
        .unwrap();
    let admin = u.login("admin@shop.io", "password1", 0).unwrap();
    let cust = u.login("cust@shop.io", "password1", 0).unwrap();
    assert!(u.require_admin(admin.token, 1).is_ok());
    let err = u.require_admin(cust.token, 1).unwrap_err();
    assert_eq!(err, UserError::NotAdmin { user: c });
    assert_eq!(err.kind(), "unauthorized");
    assert_eq!(u.require_user(UserId(99)).unwrap_err().kind(), "not_found");
}

/// The first version of [`normalize_email`], written with string searches:
/// the oracle of its one-pass rewrite.
fn normalize_email_oracle(email: &str) -> Option<String> {
    let trimmed = email.trim();
    if trimmed.len() < 3 || trimmed.len() > MAX_EMAIL_LEN || !trimmed.is_ascii() {
        return None;
    }
    let (local, domain) = trimmed.split_once('@')?;
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
    (local_ok && domain_ok).then(|| trimmed.to_ascii_lowercase())
}

#[test]
fn normalize_email_agrees_with_its_oracle_on_random_strings() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(11);
    // A local part, an `@`, dot-separated labels, over the bytes that
    // matter (and a few that never do), so that every rule is hit.
    let word = |rng: &mut rand_pcg::Pcg64, chars: &[u8]| -> String {
        let n = rng.random_range(0..5);
        (0..n)
            .map(|_| char::from(chars[rng.random_range(0..chars.len())]))
            .collect()
    };
    let (mut valid, mut invalid) = (0, 0);
    for _ in 0..200_000 {
        let mut s = word(&mut rng, b"aZ9.-_!@ ");
        if rng.random_bool(0.9) {
            s.push('@');
        }
        for i in 0..rng.random_range(1..4) {
            if i > 0 {
                s.push('.');
            }
            s += &word(&mut rng, b"aaZZ99--._@");
        }
        if rng.random_bool(0.02) {
            s.insert(0, if rng.random_bool(0.5) { 'é' } else { '\t' });
        }
        let want = normalize_email_oracle(&s);
        assert_eq!(normalize_email(&s).ok(), want, "{s:?}");
        assert_eq!(normalize_owned(s.clone()).ok(), want, "{s:?}");
        if want.is_some() {
            valid += 1
        } else {
            invalid += 1
        }
    }
    let long = format!("{}@x.io", "a".repeat(65));
    assert_eq!(normalize_email(&long).ok(), normalize_email_oracle(&long));
    assert!(
        valid > 1_000 && invalid > 1_000,
        "{valid} valid, {invalid} invalid"
    );
}
