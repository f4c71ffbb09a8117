//! Tests of the users service: registration, login, sessions and roles.

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

#[test]
fn registering_many_gives_the_users_of_registering_one_by_one() {
    let emails: Vec<String> = (0..2500).map(|i| format!("C{i}@Shop.example")).collect();
    let one_by_one = users();
    let ids: Vec<UserId> = emails
        .iter()
        .map(|e| one_by_one.register(e, "correct horse", Role::Customer))
        .collect::<Result<_, _>>()
        .unwrap();
    for threads in [1, 3] {
        let many = users();
        assert_eq!(
            many.register_many(&emails, "correct horse", Role::Customer, threads),
            Ok(ids.clone())
        );
        for id in [0, 1024, 2499] {
            let hash = |u: &Users| u.by_id.read(id, |u| (u.salt, u.hash)).unwrap();
            assert_eq!(
                hash(&many),
                hash(&one_by_one),
                "user {id}, {threads} threads"
            );
        }
        assert!(many.login("c2499@shop.example", "correct horse", 0).is_ok());
        assert_eq!(many.counters(), (2500, 1, 0));
    }
    let u = users();
    let dup = ["a@x.com", "b@x.com", "A@x.com"].map(String::from);
    assert_eq!(
        u.register_many(&dup, "correct horse", Role::Customer, 2),
        Err(UserError::EmailTaken {
            email: "a@x.com".into()
        })
    );
    let bad = ["c@x.com", "not an email"].map(String::from);
    assert!(matches!(
        u.register_many(&bad, "correct horse", Role::Customer, 2),
        Err(UserError::InvalidEmail { .. })
    ));
    assert_eq!(u.count(), 2, "c@x.com was checked, not registered");
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
    let ha = a.by_id.read(u64::from(ia.0), |u| u.hash).unwrap();
    assert_ne!(
        ha,
        a.by_id.read(u64::from(ja.0), |u| u.hash).unwrap(),
        "same password, different salt"
    );
    assert_eq!(
        ha,
        b.by_id.read(u64::from(ib.0), |u| u.hash).unwrap(),
        "same seed and email, same hash"
    );
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
